/* Lua 5.4's string.find, string.match, string.gmatch and string.gsub with their work charged to
   the run's budget.

   Stock Lua runs its pattern matcher in C, where the instruction-count hook never fires, so one
   call can take minutes (`.-.-.-b` is O(n^k), `a?a?…aaa…` is exponential, a plain find is O(n*m)).
   This matcher has the semantics of Lua 5.4's (the same backtracking order, captures, errors and
   limits: 32 captures, nesting depth 200 -> "pattern too complex"), but counts its steps — each
   single-item test, each call of the matcher (one per backtracking alternative), each character
   scanned by %b, a back-reference or a plain search — and hands them to crm_charge() every
   PATTERN_CHARGE_EVERY steps or so (and the rest when a call ends); crm_charge (Runtime.c)
   raises (longjmp) when the run's budget is spent.

   Because crm_charge may longjmp, nothing here owns malloc'd memory: the matcher's state is on
   the C stack (or, for gmatch, in a Lua userdata) and gsub builds its result in a luaL_Buffer.

   Plain searches (find's 4th argument, or a pattern without special characters) use memmem,
   which is linear. */

#define _GNU_SOURCE
#include "internal.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#define PATTERN_MAX_CAPTURES 32   /* LUA_MAXCAPTURES */
#define PATTERN_MAX_DEPTH 200     /* MAXCCALLS of lstrlib */
#define PATTERN_CHARGE_EVERY 4096
#define PATTERN_ESCAPE '%'
#define PATTERN_SPECIALS "^$*+?.([%-"

/* A capture's length while it is still open, and the length of a position capture `()`. */
#define CAPTURE_OPEN (-1)
#define CAPTURE_POSITION (-2)

typedef struct {
    const char *start;
    ptrdiff_t length; /* or CAPTURE_OPEN / CAPTURE_POSITION */
} capture;

typedef struct {
    lua_State *L;
    const char *subject;     /* the whole subject */
    const char *subject_end; /* its end (a Lua string: a '\0' is readable there) */
    const char *pattern_end; /* likewise */
    int depth_left;          /* nested matcher calls still allowed */
    int captures;            /* captures opened so far */
    int64_t steps;           /* work not yet charged */
    capture capture[PATTERN_MAX_CAPTURES];
} matcher;

/* ---- the budget ---------------------------------------------------------------------- */

static void charge_now(matcher *m) {
    int64_t steps = m->steps;
    m->steps = 0;
    if (steps > 0) crm_charge(m->L, steps);
}

static inline void charge(matcher *m, int64_t steps) {
    m->steps += steps;
    if (m->steps >= PATTERN_CHARGE_EVERY) charge_now(m);
}

static void matcher_init(matcher *m, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    m->L = L;
    m->subject = s;
    m->subject_end = s + ls;
    m->pattern_end = p + lp;
    m->steps = 0;
    m->captures = 0;
    m->depth_left = PATTERN_MAX_DEPTH;
}

/* Before each attempt at a new subject position. */
static void matcher_restart(matcher *m) {
    m->captures = 0;
    m->depth_left = PATTERN_MAX_DEPTH;
}

/* ---- single items -------------------------------------------------------------------- */

/* Whether byte c is in class %cl (cl a letter: the class; upper case: its complement; anything
   else: cl itself). */
static int in_class(int c, int cl) {
    int yes;
    switch (tolower(cl)) {
    case 'a': yes = isalpha(c); break;
    case 'c': yes = iscntrl(c); break;
    case 'd': yes = isdigit(c); break;
    case 'g': yes = isgraph(c); break;
    case 'l': yes = islower(c); break;
    case 'p': yes = ispunct(c); break;
    case 's': yes = isspace(c); break;
    case 'u': yes = isupper(c); break;
    case 'w': yes = isalnum(c); break;
    case 'x': yes = isxdigit(c); break;
    case 'z': yes = (c == 0); break; /* deprecated, but Lua 5.4 still accepts it */
    default: return cl == c;
    }
    if (isupper(cl)) return !yes;
    return yes != 0;
}

/* Whether byte c is in the set that starts at `open` ('[') and ends at `close` (its ']'). */
static int in_set(int c, const char *open, const char *close) {
    const char *p = open + 1;
    int found = 1;
    if (*p == '^') {
        found = 0;
        p++;
    }
    for (; p < close; p++) {
        if (*p == PATTERN_ESCAPE) {
            p++;
            if (in_class(c, (unsigned char)*p)) return found;
        } else if (p[1] == '-' && p + 2 < close) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return found;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return found;
        }
    }
    return !found;
}

/* The end of the single item at p (a byte, `.`, `%x` or a set), raising on a malformed one. */
static const char *item_end(matcher *m, const char *p) {
    const char *start = p;
    char c = *p++;
    if (c == PATTERN_ESCAPE) {
        if (p == m->pattern_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (*p == '^') p++;
        do { /* the first byte of a set is never its end: `[]]` holds ']' */
            if (p == m->pattern_end) luaL_error(m->L, "malformed pattern (missing ']')");
            c = *p++;
            if (c == PATTERN_ESCAPE && p < m->pattern_end) p++;
        } while (*p != ']');
        charge(m, (p - start) >> 4);
        return p + 1;
    }
    return p;
}

/* Whether the byte at s (if any) matches the single item [p, ep). */
static int single(matcher *m, const char *s, const char *p, const char *ep) {
    if (s >= m->subject_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.':
        charge(m, 1);
        return 1;
    case PATTERN_ESCAPE:
        charge(m, 1);
        return in_class(c, (unsigned char)p[1]);
    case '[':
        charge(m, 1 + ((ep - p) >> 4));
        return in_set(c, p, ep - 1);
    default:
        charge(m, 1);
        return (unsigned char)*p == c;
    }
}

/* ---- the matcher --------------------------------------------------------------------- */

static const char *match(matcher *m, const char *s, const char *p);

/* `item*` (from s) or `item+` (from s + 1): the longest run first, then shorter ones. */
static const char *longest_first(matcher *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t n = 0;
    while (single(m, s + n, p, ep)) n++;
    for (; n >= 0; n--) {
        const char *end = match(m, s + n, ep + 1);
        if (end) return end;
    }
    return NULL;
}

/* `item-`: the shortest run first. */
static const char *shortest_first(matcher *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *end = match(m, s, ep + 1);
        if (end) return end;
        if (!single(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *open_capture(matcher *m, const char *s, const char *p, ptrdiff_t kind) {
    if (m->captures >= PATTERN_MAX_CAPTURES) luaL_error(m->L, "too many captures");
    int level = m->captures++;
    m->capture[level].start = s;
    m->capture[level].length = kind;
    const char *end = match(m, s, p);
    if (!end) m->captures--;
    return end;
}

static const char *close_capture(matcher *m, const char *s, const char *p) {
    int level = m->captures - 1;
    while (level >= 0 && m->capture[level].length != CAPTURE_OPEN) level--;
    if (level < 0) luaL_error(m->L, "invalid pattern capture");
    m->capture[level].length = s - m->capture[level].start;
    const char *end = match(m, s, p);
    if (!end) m->capture[level].length = CAPTURE_OPEN;
    return end;
}

/* `%bxy` at p (pointing at x). */
static const char *balanced(matcher *m, const char *s, const char *p) {
    if (p >= m->pattern_end - 1) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->subject_end || *s != p[0]) return NULL;
    const char open = p[0], close = p[1], *end = m->subject_end;
    int depth = 1;
    s++;
    while (s < end) { /* in chunks, charging a step per 4 bytes */
        const char *chunk = s, *chunk_end = end - s > 1024 ? s + 1024 : end;
        for (; s < chunk_end; s++) {
            if (*s == close) {
                if (--depth == 0) {
                    charge(m, 1 + ((s - chunk) >> 2));
                    return s + 1;
                }
            } else if (*s == open) {
                depth++;
            }
        }
        charge(m, 1 + ((s - chunk) >> 2));
    }
    return NULL;
}

/* `%1`…`%9` (digit is the byte after '%'). */
static const char *back_reference(matcher *m, const char *s, int digit) {
    int level = digit - '1';
    if (level < 0 || level >= m->captures || m->capture[level].length == CAPTURE_OPEN)
        luaL_error(m->L, "invalid capture index %%%d", level + 1);
    ptrdiff_t length = m->capture[level].length;
    if (length < 0) return NULL; /* a position capture never matches text */
    charge(m, 1 + (length >> 4));
    if (m->subject_end - s >= length && memcmp(m->capture[level].start, s, (size_t)length) == 0) return s + length;
    return NULL;
}

/* Matches pattern p (up to pattern_end) at s: the end of the match, or NULL. */
static const char *match(matcher *m, const char *s, const char *p) {
    if (m->depth_left-- == 0) luaL_error(m->L, "pattern too complex");
    charge(m, 1);
    while (p != m->pattern_end) {
        switch (*p) {
        case '(':
            if (p[1] == ')') s = open_capture(m, s, p + 2, CAPTURE_POSITION);
            else s = open_capture(m, s, p + 1, CAPTURE_OPEN);
            goto done;
        case ')':
            s = close_capture(m, s, p + 1);
            goto done;
        case '$':
            if (p + 1 == m->pattern_end) {
                if (s != m->subject_end) s = NULL;
                goto done;
            }
            break; /* a '$' elsewhere is a plain byte */
        case PATTERN_ESCAPE:
            switch (p[1]) {
            case 'b':
                s = balanced(m, s, p + 2);
                if (!s) goto done;
                p += 4;
                continue;
            case 'f': {
                p += 2;
                if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
                const char *ep = item_end(m, p);
                int before = s == m->subject ? '\0' : (unsigned char)s[-1];
                int here = s < m->subject_end ? (unsigned char)*s : '\0';
                charge(m, 1 + ((ep - p) >> 3));
                if (!in_set(before, p, ep - 1) && in_set(here, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = NULL;
                goto done;
            }
            case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                s = back_reference(m, s, (unsigned char)p[1]);
                if (!s) goto done;
                p += 2;
                continue;
            default:
                break; /* %x: a class or an escaped byte */
            }
            break;
        default:
            break;
        }

        /* A single item, perhaps with a quantifier. */
        const char *ep = item_end(m, p);
        char quantifier = *ep; /* '\0' at the pattern's end */
        if (!single(m, s, p, ep)) {
            if (quantifier == '*' || quantifier == '?' || quantifier == '-') {
                p = ep + 1; /* zero repetitions */
                continue;
            }
            s = NULL;
            goto done;
        }
        switch (quantifier) {
        case '?': {
            const char *end = match(m, s + 1, ep + 1);
            if (end) {
                s = end;
                goto done;
            }
            p = ep + 1;
            continue;
        }
        case '+':
            s = longest_first(m, s + 1, p, ep);
            goto done;
        case '*':
            s = longest_first(m, s, p, ep);
            goto done;
        case '-':
            s = shortest_first(m, s, p, ep);
            goto done;
        default:
            s++;
            p = ep;
            continue;
        }
    }
done:
    m->depth_left++;
    return s;
}

/* ---- captures as values -------------------------------------------------------------- */

/* Capture i of the match [s, e): its text in *text and its length, or CAPTURE_POSITION after
   pushing the position. Capture 0 without captures is the whole match. */
static ptrdiff_t capture_text(matcher *m, int i, const char *s, const char *e, const char **text) {
    if (i >= m->captures) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        *text = s;
        return e - s;
    }
    ptrdiff_t length = m->capture[i].length;
    *text = m->capture[i].start;
    if (length == CAPTURE_OPEN) luaL_error(m->L, "unfinished capture");
    if (length == CAPTURE_POSITION) lua_pushinteger(m->L, (lua_Integer)(m->capture[i].start - m->subject) + 1);
    return length;
}

static void push_capture(matcher *m, int i, const char *s, const char *e) {
    const char *text;
    ptrdiff_t length = capture_text(m, i, s, e, &text);
    if (length != CAPTURE_POSITION) lua_pushlstring(m->L, text, (size_t)length);
}

/* Pushes the captures (or the whole match when there are none and s is given); their count. */
static int push_captures(matcher *m, const char *s, const char *e) {
    int n = (m->captures == 0 && s) ? 1 : m->captures;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_capture(m, i, s, e);
    return n;
}

/* ---- find and match ------------------------------------------------------------------ */

/* A 1-based, possibly negative position as a 1-based one clamped to 1 (posrelatI). */
static size_t start_position(lua_Integer position, size_t length) {
    if (position > 0) return (size_t)position;
    if (position == 0) return 1;
    if (position < -(lua_Integer)length) return 1;
    return length + (size_t)position + 1;
}

static int has_specials(const char *p, size_t lp) {
    for (size_t i = 0; i < lp; i++) {
        if (p[i] != '\0' && strchr(PATTERN_SPECIALS, p[i])) return 1;
    }
    return 0;
}

static void charge_once(lua_State *L, int64_t steps) {
    if (steps > 0) crm_charge(L, steps);
}

static int find_or_match(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_position(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        /* memmem is linear (two-way); charge about the bytes it reads. */
        const char *found = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
        size_t scanned = found ? (size_t)(found - (s + init)) + lp : ls - init;
        charge_once(L, 1 + (int64_t)((scanned + lp) >> 4));
        if (found) {
            lua_pushinteger(L, (lua_Integer)(found - s) + 1);
            lua_pushinteger(L, (lua_Integer)(found - s) + (lua_Integer)lp);
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    matcher m;
    const char *from = s + init;
    int anchored = (*p == '^');
    if (anchored) {
        p++;
        lp--;
    }
    matcher_init(&m, L, s, ls, p, lp);
    do {
        matcher_restart(&m);
        const char *end = match(&m, from, p);
        if (end) {
            int n;
            if (find) {
                lua_pushinteger(L, (lua_Integer)(from - s) + 1);
                lua_pushinteger(L, (lua_Integer)(end - s));
                n = push_captures(&m, NULL, NULL) + 2;
            } else {
                n = push_captures(&m, from, end);
            }
            charge_now(&m);
            return n;
        }
    } while (from++ < m.subject_end && !anchored);
    charge_now(&m);
    luaL_pushfail(L);
    return 1;
}

static int pattern_find(lua_State *L) { return find_or_match(L, 1); }
static int pattern_match(lua_State *L) { return find_or_match(L, 0); }

/* ---- gmatch -------------------------------------------------------------------------- */

typedef struct {
    matcher m;
    const char *next;    /* where the next search starts */
    const char *pattern; /* '^' is not an anchor here (as in Lua 5.4) */
    const char *last;    /* the end of the previous match: an empty match there is skipped */
} gmatch_state;

static int gmatch_next(lua_State *L) {
    gmatch_state *g = (gmatch_state *)lua_touserdata(L, lua_upvalueindex(3));
    g->m.L = L; /* the thread calling now */
    for (const char *from = g->next; from <= g->m.subject_end; from++) {
        matcher_restart(&g->m);
        const char *end = match(&g->m, from, g->pattern);
        if (end && end != g->last) {
            g->next = g->last = end;
            int n = push_captures(&g->m, from, end);
            charge_now(&g->m);
            return n;
        }
    }
    g->next = g->m.subject_end + 1; /* exhausted: later calls answer at once */
    charge_now(&g->m);
    return 0;
}

static int pattern_gmatch(lua_State *L) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_position(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2); /* the closure keeps subject and pattern alive */
    gmatch_state *g = (gmatch_state *)lua_newuserdatauv(L, sizeof(gmatch_state), 0);
    if (init > ls) init = ls + 1;
    matcher_init(&g->m, L, s, ls, p, lp);
    g->next = s + init;
    g->pattern = p;
    g->last = NULL;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* ---- gsub ---------------------------------------------------------------------------- */

/* Adds the replacement string (argument 3) for the match [s, e) with its %0-%9 and %%. */
static void add_replacement_string(matcher *m, luaL_Buffer *b, const char *s, const char *e) {
    lua_State *L = m->L;
    size_t length;
    const char *r = lua_tolstring(L, 3, &length);
    const char *escape;
    charge(m, 1 + (int64_t)(length >> 4));
    while ((escape = memchr(r, PATTERN_ESCAPE, length)) != NULL) {
        luaL_addlstring(b, r, (size_t)(escape - r));
        escape++; /* the byte after '%' ('\0' when '%' ends the string) */
        charge(m, 1);
        if (*escape == PATTERN_ESCAPE) {
            luaL_addchar(b, PATTERN_ESCAPE);
        } else if (*escape == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
            charge(m, (e - s) >> 4);
        } else if (isdigit((unsigned char)*escape)) {
            const char *text;
            ptrdiff_t n = capture_text(m, *escape - '1', s, e, &text);
            if (n == CAPTURE_POSITION) {
                luaL_addvalue(b); /* the position capture_text pushed */
            } else {
                luaL_addlstring(b, text, (size_t)n);
                charge(m, n >> 4);
            }
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", PATTERN_ESCAPE);
        }
        length -= (size_t)(escape + 1 - r);
        r = escape + 1;
    }
    luaL_addlstring(b, r, length);
}

/* Adds the replacement of the match [s, e); whether it changed the text. */
static int add_replacement(matcher *m, luaL_Buffer *b, const char *s, const char *e, int type) {
    lua_State *L = m->L;
    if (type == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        lua_call(L, n, 1);
    } else if (type == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_replacement_string(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the match */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int pattern_gsub(lua_State *L) {
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *last = NULL; /* the end of the previous match */
    int type = lua_type(L, 3);
    lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    int anchored = (*p == '^');
    lua_Integer count = 0;
    int changed = 0;
    matcher m;
    luaL_Buffer b;
    luaL_argexpected(L, type == LUA_TNUMBER || type == LUA_TSTRING || type == LUA_TFUNCTION || type == LUA_TTABLE, 3,
                     "string/function/table");
    luaL_buffinit(L, &b);
    if (anchored) {
        p++;
        lp--;
    }
    matcher_init(&m, L, src, ls, p, lp);
    while (count < max) {
        matcher_restart(&m);
        const char *end = match(&m, src, p);
        if (end && end != last) {
            count++;
            changed = add_replacement(&m, &b, src, end, type) | changed;
            src = last = end;
        } else if (src < m.subject_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchored) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(m.subject_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, count);
    charge_now(&m);
    return 2;
}

/* ---- installation -------------------------------------------------------------------- */

void crm_open_patterns(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"find", pattern_find},
        {"match", pattern_match},
        {"gmatch", pattern_gmatch},
        {"gsub", pattern_gsub},
        {NULL, NULL},
    };
    luaL_setfuncs(L, functions, 0);
}
