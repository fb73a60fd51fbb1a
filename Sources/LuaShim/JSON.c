#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- decoding: JSON text -> Lua value (arrays carry the crm.array metatable, so an empty
   array stays an array when encoded again; null becomes nil) ------------------------------ */

typedef struct {
    const char *p;
    const char *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static void push_value(lua_State *L, cursor *c, int depth);

static void fail(lua_State *L, const char *what) { luaL_error(L, "invalid JSON: %s", what); }

static unsigned hex4(lua_State *L, cursor *c) {
    if (c->end - c->p < 4) fail(L, "short \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char h = *c->p++;
        v <<= 4;
        if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
        else fail(L, "bad \\u escape");
    }
    return v;
}

static void push_string(lua_State *L, cursor *c) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    c->p++; /* opening quote */
    while (c->p < c->end && *c->p != '"') {
        char ch = *c->p++;
        if ((unsigned char)ch < 0x20) fail(L, "control character in string");
        if (ch != '\\') {
            luaL_addchar(&b, ch);
            continue;
        }
        if (c->p >= c->end) fail(L, "unterminated escape");
        char e = *c->p++;
        switch (e) {
        case '"': luaL_addchar(&b, '"'); break;
        case '\\': luaL_addchar(&b, '\\'); break;
        case '/': luaL_addchar(&b, '/'); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'u': {
            unsigned cp = hex4(L, c);
            if (cp >= 0xD800 && cp <= 0xDBFF && c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u') {
                c->p += 2;
                unsigned low = hex4(L, c);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            char utf8[4];
            int n;
            if (cp < 0x80) { utf8[0] = (char)cp; n = 1; }
            else if (cp < 0x800) { utf8[0] = (char)(0xC0 | (cp >> 6)); utf8[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
            else if (cp < 0x10000) { utf8[0] = (char)(0xE0 | (cp >> 12)); utf8[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); utf8[2] = (char)(0x80 | (cp & 0x3F)); n = 3; }
            else { utf8[0] = (char)(0xF0 | (cp >> 18)); utf8[1] = (char)(0x80 | ((cp >> 12) & 0x3F)); utf8[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); utf8[3] = (char)(0x80 | (cp & 0x3F)); n = 4; }
            luaL_addlstring(&b, utf8, (size_t)n);
            break;
        }
        default: fail(L, "bad escape");
        }
    }
    if (c->p >= c->end) fail(L, "unterminated string");
    c->p++;
    luaL_pushresult(&b);
}

static void push_number(lua_State *L, cursor *c) {
    const char *start = c->p;
    int integral = 1;
    if (c->p < c->end && *c->p == '-') c->p++;
    while (c->p < c->end && ((*c->p >= '0' && *c->p <= '9') || *c->p == '.' || *c->p == 'e' || *c->p == 'E' || *c->p == '+' || *c->p == '-')) {
        if (*c->p == '.' || *c->p == 'e' || *c->p == 'E') integral = 0;
        c->p++;
    }
    size_t n = (size_t)(c->p - start);
    if (n == 0 || n > 64) fail(L, "bad number");
    char text[65];
    memcpy(text, start, n);
    text[n] = '\0';
    char *stop = NULL;
    if (integral) {
        long long v = strtoll(text, &stop, 10);
        if (*stop == '\0') { lua_pushinteger(L, (lua_Integer)v); return; }
    }
    double d = strtod(text, &stop);
    if (*stop != '\0') fail(L, "bad number");
    lua_pushnumber(L, d);
}

static void push_value(lua_State *L, cursor *c, int depth) {
    if (depth > CRM_JSON_MAX_DEPTH) luaL_error(L, "JSON nested too deeply");
    luaL_checkstack(L, 4, "JSON");
    skip_space(c);
    if (c->p >= c->end) fail(L, "unexpected end");
    char ch = *c->p;
    if (ch == '{') {
        c->p++;
        lua_newtable(L);
        skip_space(c);
        if (c->p < c->end && *c->p == '}') { c->p++; return; }
        for (;;) {
            skip_space(c);
            if (c->p >= c->end || *c->p != '"') fail(L, "expected a key");
            push_string(L, c);
            skip_space(c);
            if (c->p >= c->end || *c->p != ':') fail(L, "expected ':'");
            c->p++;
            push_value(L, c, depth + 1);
            lua_rawset(L, -3);
            skip_space(c);
            if (c->p < c->end && *c->p == ',') { c->p++; continue; }
            if (c->p < c->end && *c->p == '}') { c->p++; return; }
            fail(L, "expected ',' or '}'");
        }
    } else if (ch == '[') {
        c->p++;
        lua_newtable(L);
        luaL_setmetatable(L, CRM_ARRAY_MT);
        skip_space(c);
        if (c->p < c->end && *c->p == ']') { c->p++; return; }
        lua_Integer i = 1;
        for (;;) {
            push_value(L, c, depth + 1);
            lua_rawseti(L, -2, i++);
            skip_space(c);
            if (c->p < c->end && *c->p == ',') { c->p++; continue; }
            if (c->p < c->end && *c->p == ']') { c->p++; return; }
            fail(L, "expected ',' or ']'");
        }
    } else if (ch == '"') {
        push_string(L, c);
    } else if (ch == 't' && c->end - c->p >= 4 && memcmp(c->p, "true", 4) == 0) {
        c->p += 4;
        lua_pushboolean(L, 1);
    } else if (ch == 'f' && c->end - c->p >= 5 && memcmp(c->p, "false", 5) == 0) {
        c->p += 5;
        lua_pushboolean(L, 0);
    } else if (ch == 'n' && c->end - c->p >= 4 && memcmp(c->p, "null", 4) == 0) {
        c->p += 4;
        lua_pushnil(L);
    } else {
        push_number(L, c);
    }
}

void crm_json_push(lua_State *L, const char *text, size_t length) {
    cursor c = {text, text + length};
    push_value(L, &c, 0);
    skip_space(&c);
    if (c.p != c.end) fail(L, "trailing characters");
}

/* ---- encoding: Lua value -> JSON text ------------------------------------------------ */

static void add_string(lua_State *L, crm_text *b, const char *s, size_t n) {
    crm_text_add(L, b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"': crm_text_add(L, b, "\\\"", strlen("\\\"")); break;
        case '\\': crm_text_add(L, b, "\\\\", strlen("\\\\")); break;
        case '\n': crm_text_add(L, b, "\\n", strlen("\\n")); break;
        case '\r': crm_text_add(L, b, "\\r", strlen("\\r")); break;
        case '\t': crm_text_add(L, b, "\\t", strlen("\\t")); break;
        default:
            if (ch < 0x20) {
                char esc[8];
                snprintf(esc, sizeof esc, "\\u%04x", ch);
                crm_text_add(L, b, esc, strlen(esc));
            } else {
                { char c1 = (char)ch; crm_text_add(L, b, &c1, 1); }
            }
        }
    }
    crm_text_add(L, b, "\"", 1);
}

static int is_array(lua_State *L, int index, lua_Integer *length) {
    *length = (lua_Integer)lua_rawlen(L, index);
    if (luaL_getmetafield(L, index, "__name") != LUA_TNIL) {
        int marked = lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), CRM_ARRAY_MT) == 0;
        lua_pop(L, 1);
        if (marked) return 1;
    }
    lua_Integer count = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        count++;
        if (!lua_isinteger(L, -1)) { lua_pop(L, 1); return 0; }
    }
    return count > 0 && count == *length;
}

/* Encodes the value at `index` (absolute) into `b`; functions inside tables are skipped. */
void crm_json_encode(lua_State *L, int index, crm_text *b, int depth) {
    if (depth > CRM_JSON_MAX_DEPTH) luaL_error(L, "value nested too deeply for JSON");
    luaL_checkstack(L, 4, "JSON");
    switch (lua_type(L, index)) {
    case LUA_TNIL: crm_text_add(L, b, "null", strlen("null")); break;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, index)) crm_text_add(L, b, "true", 4); else crm_text_add(L, b, "false", 5);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, index)) {
            char text[32];
            snprintf(text, sizeof text, "%lld", (long long)lua_tointeger(L, index));
            crm_text_add(L, b, text, strlen(text));
        } else {
            double d = lua_tonumber(L, index);
            if (!isfinite(d)) { crm_text_add(L, b, "null", strlen("null")); break; }
            char text[40];
            snprintf(text, sizeof text, "%.17g", d);
            crm_text_add(L, b, text, strlen(text));
        }
        break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, index, &n);
        add_string(L, b, s, n);
        break;
    }
    case LUA_TTABLE: {
        lua_Integer length;
        if (is_array(L, index, &length)) {
            crm_text_add(L, b, "[", 1);
            for (lua_Integer i = 1; i <= length; i++) {
                if (i > 1) crm_text_add(L, b, ",", 1);
                lua_rawgeti(L, index, i);
                crm_json_encode(L, lua_gettop(L), b, depth + 1);
                lua_pop(L, 1);
            }
            crm_text_add(L, b, "]", 1);
        } else {
            crm_text_add(L, b, "{", 1);
            int first = 1;
            lua_pushnil(L);
            while (lua_next(L, index)) {
                int key_type = lua_type(L, -2);
                if (key_type != LUA_TSTRING && key_type != LUA_TNUMBER) luaL_error(L, "JSON object keys must be strings");
                if (lua_type(L, -1) == LUA_TFUNCTION) { lua_pop(L, 1); continue; }
                if (!first) crm_text_add(L, b, ",", 1);
                first = 0;
                lua_pushvalue(L, -2);
                size_t n;
                const char *key = lua_tolstring(L, -1, &n); /* a copy: tolstring must not touch the real key */
                add_string(L, b, key, n);
                lua_pop(L, 1);
                crm_text_add(L, b, ":", 1);
                crm_json_encode(L, lua_gettop(L), b, depth + 1);
                lua_pop(L, 1);
            }
            crm_text_add(L, b, "}", 1);
        }
        break;
    }
    default:
        luaL_error(L, "cannot encode a %s as JSON", luaL_typename(L, index));
    }
}

void crm_text_clear(crm_text *text) { text->length = 0; }

void crm_text_add(lua_State *L, crm_text *text, const char *s, size_t n) {
    if (text->length + n + 1 > text->capacity) {
        if (text->length + n + 1 > CRM_TEXT_MAX) luaL_error(L, "value too large for JSON (over 16 MiB)");
        size_t capacity = text->capacity ? text->capacity : 1024;
        while (capacity < text->length + n + 1) capacity *= 2;
        char *grown = realloc(text->data, capacity);
        if (!grown) luaL_error(L, "out of memory");
        text->data = grown;
        text->capacity = capacity;
    }
    memcpy(text->data + text->length, s, n);
    text->length += n;
    text->data[text->length] = '\0';
}
