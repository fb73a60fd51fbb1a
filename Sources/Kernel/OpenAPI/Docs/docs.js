/* API documentation page: renders /api/v1/openapi.json with vanilla DOM APIs.
 * Every string taken from the document is untrusted (tenants define custom field labels), so
 * it only ever reaches the page through textContent, attribute setters or createElement —
 * never innerHTML. No eval, no inline styles (the page's CSP forbids them). */
(function () {
  'use strict';

  var SPEC_URL = '/api/v1/openapi.json';
  var TOKEN_KEY = 'crm.docs.token';
  var METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'];
  var BODYLESS = { get: true, head: true, options: true, trace: true };
  var MAX_DEPTH = 8;
  var KEY_HEADERS = ['etag', 'location', 'x-request-id', 'content-type', 'retry-after'];

  var spec = null;
  var schemaIds = {};      // component schema name -> element id
  var opEntries = [];      // { el, tagKey, haystack }
  var tagEntries = {};     // tagKey -> { section, navCount, navItem, total }
  var schemaEntries = [];  // { card, navItem, name }
  var schemaSection = null, schemaNavHead = null;
  var basePath = '';

  // ---------------------------------------------------------------- DOM helpers

  function $(id) { return document.getElementById(id); }

  function h(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      if (typeof child === 'string') child = document.createTextNode(child);
      parent.appendChild(child);
    }
    return parent;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

  function str(v) { return typeof v === 'string' ? v : ''; }

  function json(v) {
    try { return JSON.stringify(v); } catch (e) { return String(v); }
  }

  function slug(text, prefix, used) {
    var base = prefix + String(text).replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
    if (base === prefix) base = prefix + 'x';
    var id = base, n = 2;
    while (used[id]) id = base + '-' + (n++);
    used[id] = true;
    return id;
  }

  /* A tiny, safe subset of Markdown: paragraphs, "- " lists, `code` and **bold**. */
  function markdown(text, cls) {
    var box = h('div', 'md' + (cls ? ' ' + cls : ''));
    if (typeof text !== 'string' || !text.trim()) return box;
    var blocks = text.replace(/\r\n?/g, '\n').split(/\n\s*\n/);
    blocks.forEach(function (block) {
      var lines = block.split('\n');
      var isList = lines.every(function (l) { return /^\s*[-*]\s+/.test(l) || !l.trim(); });
      if (isList) {
        var ul = h('ul');
        lines.forEach(function (l) {
          if (!l.trim()) return;
          ul.appendChild(inline(h('li'), l.replace(/^\s*[-*]\s+/, '')));
        });
        box.appendChild(ul);
      } else {
        box.appendChild(inline(h('p'), lines.join(' ')));
      }
    });
    return box;
  }

  function inline(parent, text) {
    var re = /`([^`]+)`|\*\*([^*]+)\*\*/g, last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1] !== undefined) parent.appendChild(h('code', null, m[1]));
      else parent.appendChild(h('strong', null, m[2]));
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  // ---------------------------------------------------------------- $ref resolution

  function pointer(ref) {
    if (typeof ref !== 'string' || ref.charAt(0) !== '#') return undefined;
    var parts = ref.slice(1).split('/').slice(1), node = spec;
    for (var i = 0; i < parts.length; i++) {
      var key = decodeURIComponent(parts[i].replace(/~1/g, '/').replace(/~0/g, '~'));
      if (!node || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
      node = node[key];
    }
    return node;
  }

  /* Follows a chain of $refs (parameters, request bodies, responses); gives up after a few hops. */
  function deref(obj) {
    var hops = 0;
    while (isObj(obj) && typeof obj.$ref === 'string' && hops++ < 10) {
      var target = pointer(obj.$ref);
      if (target === undefined) return obj;
      obj = target;
    }
    return obj;
  }

  function refName(ref) {
    var m = /^#\/components\/schemas\/(.+)$/.exec(ref || '');
    if (m) return decodeURIComponent(m[1].replace(/~1/g, '/').replace(/~0/g, '~'));
    var parts = String(ref).split('/');
    return parts[parts.length - 1] || String(ref);
  }

  function refLink(ref) {
    var name = refName(ref);
    var id = /^#\/components\/schemas\//.test(ref) ? schemaIds[name] : null;
    if (!id) return h('span', 't-ref unresolved', name);
    var a = h('a', 't-ref', name);
    a.href = '#' + id;
    a.title = 'Schema ' + name;
    return a;
  }

  // ---------------------------------------------------------------- schema rendering

  function typesOf(s) {
    if (!isObj(s)) return [];
    var t = s.type;
    var list = Array.isArray(t) ? t.slice() : (typeof t === 'string' ? [t] : []);
    if (!list.length) {
      if (isObj(s.properties) || s.additionalProperties !== undefined) list.push('object');
      else if (s.items !== undefined) list.push('array');
    }
    if (s.nullable === true && list.indexOf('null') < 0) list.push('null');
    return list.filter(function (x) { return typeof x === 'string'; });
  }

  /* "string | null", "array<Contact>", "Contact | null", "A & B" as DOM (references are links). */
  function typeLabel(s, depth) {
    depth = depth || 0;
    var out = h('span', 't');
    if (s === true || s === undefined || s === null || (isObj(s) && !Object.keys(s).length)) return add(out, 'any');
    if (s === false) return add(out, 'never');
    if (!isObj(s) || depth > MAX_DEPTH) return add(out, '…');
    if (typeof s.$ref === 'string') return add(out, refLink(s.$ref));
    var parts = [];
    typesOf(s).forEach(function (t) {
      if (t === 'array') {
        var arr = h('span');
        add(arr, 'array<', s.items !== undefined ? typeLabel(s.items, depth + 1) : 'any', '>');
        parts.push(arr);
      } else {
        parts.push(h('span', t === 'null' ? 't-null' : null, t));
      }
    });
    if (!parts.length && s.const !== undefined) parts.push(h('span', null, 'const ' + json(s.const)));
    if (!parts.length && Array.isArray(s.enum)) parts.push(h('span', null, 'enum'));
    ['oneOf', 'anyOf'].forEach(function (k) {
      if (!parts.length && Array.isArray(s[k])) s[k].forEach(function (v) { parts.push(typeLabel(v, depth + 1)); });
    });
    if (!parts.length && Array.isArray(s.allOf)) {
      s.allOf.forEach(function (v, i) {
        if (i) add(out, ' & ');
        add(out, typeLabel(v, depth + 1));
      });
      return out;
    }
    if (!parts.length) return add(out, 'any');
    parts.forEach(function (p, i) {
      if (i) add(out, h('span', 't-sep', ' | '));
      out.appendChild(p);
    });
    return out;
  }

  function badge(text, cls) { return h('span', 'badge' + (cls ? ' ' + cls : ''), text); }

  function metaBadges(s) {
    var box = h('span', 'badges');
    if (!isObj(s)) return box;
    if (s.format) add(box, badge(String(s.format), 'b-format'));
    if (s.readOnly) add(box, badge('read-only', 'b-ro'));
    if (s.writeOnly) add(box, badge('write-only', 'b-wo'));
    if (s.deprecated) add(box, badge('deprecated', 'b-dep'));
    return box;
  }

  function constraints(s) {
    var list = [];
    if (!isObj(s)) return list;
    var pairs = [
      ['minLength', 'min length'], ['maxLength', 'max length'], ['minimum', '≥'], ['maximum', '≤'],
      ['exclusiveMinimum', '>'], ['exclusiveMaximum', '<'], ['minItems', 'min items'], ['maxItems', 'max items'],
      ['minProperties', 'min properties'], ['maxProperties', 'max properties'], ['multipleOf', 'multiple of'],
      ['pattern', 'pattern'],
    ];
    pairs.forEach(function (p) {
      var v = s[p[0]];
      if (typeof v === 'number' || typeof v === 'string') list.push(p[1] + ' ' + (p[0] === 'pattern' ? v : json(v)));
    });
    if (s.uniqueItems) list.push('unique items');
    if (s.default !== undefined) list.push('default ' + json(s.default));
    if (s.const !== undefined && typesOf(s).length) list.push('const ' + json(s.const));
    return list;
  }

  /* Description, enum values, constraints and examples of one schema. */
  function metaBlock(s) {
    var box = h('div', 'meta');
    if (!isObj(s)) return box;
    if (s.title && typeof s.title === 'string') add(box, h('div', 'meta-title', s.title));
    if (typeof s.description === 'string' && s.description) add(box, markdown(s.description, 'desc'));
    if (Array.isArray(s.enum)) {
      var en = h('div', 'enum');
      add(en, h('span', 'meta-label', 'one of'));
      s.enum.forEach(function (v) { add(en, h('code', 'enum-val', json(v))); });
      box.appendChild(en);
    }
    var c = constraints(s);
    if (c.length) {
      var cs = h('div', 'constraints');
      c.forEach(function (x) { add(cs, h('span', 'constraint', x)); });
      box.appendChild(cs);
    }
    var ex = Array.isArray(s.examples) && s.examples.length ? s.examples[0] : s.example;
    if (ex !== undefined && (typeof ex !== 'object' || ex === null)) {
      add(box, add(h('div', 'example-line'), h('span', 'meta-label', 'example'), h('code', null, json(ex))));
    }
    return box;
  }

  /* Merges allOf parts (resolving references) into one object view. */
  function mergeAllOf(s, seen) {
    var merged = { properties: {}, required: [] }, parts = [];
    (s.allOf || []).forEach(function (part) {
      var p = part;
      if (isObj(part) && typeof part.$ref === 'string') {
        parts.push(part.$ref);
        if (seen.indexOf(part.$ref) >= 0) return;
        p = deref(part);
      }
      if (!isObj(p)) return;
      if (Array.isArray(p.allOf)) {
        var inner = mergeAllOf(p, seen);
        Object.keys(inner.properties).forEach(function (k) { merged.properties[k] = inner.properties[k]; });
        merged.required = merged.required.concat(inner.required);
      }
      if (isObj(p.properties)) Object.keys(p.properties).forEach(function (k) { merged.properties[k] = p.properties[k]; });
      if (Array.isArray(p.required)) merged.required = merged.required.concat(p.required);
      if (p.additionalProperties !== undefined) merged.additionalProperties = p.additionalProperties;
    });
    if (isObj(s.properties)) Object.keys(s.properties).forEach(function (k) { merged.properties[k] = s.properties[k]; });
    if (Array.isArray(s.required)) merged.required = merged.required.concat(s.required);
    merged.refs = parts;
    return merged;
  }

  function isNullSchema(s) {
    return isObj(s) && (s.type === 'null' || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === 'null'));
  }

  /* The nested part of a schema (properties, items, variants); null when there is none. */
  function structure(s, depth, seen, expandRef) {
    if (!isObj(s)) return null;
    if (depth > MAX_DEPTH) return h('div', 'note', '… nested deeper than ' + MAX_DEPTH + ' levels');

    if (typeof s.$ref === 'string') {
      var ref = s.$ref, target = deref(s);
      if (seen.indexOf(ref) >= 0) return add(h('div', 'note'), '↻ recursive reference to ', refLink(ref));
      if (target === s || !isObj(target)) return null;
      var nextSeen = seen.concat([ref]);
      if (!hasStructure(target) && !Array.isArray(target.enum)) return null;
      if (expandRef) return refBody(target, depth, nextSeen);
      var det = h('details', 'ref-toggle');
      var sum = add(h('summary'), 'fields of ', h('span', 'mono', refName(ref)));
      det.appendChild(sum);
      det.addEventListener('toggle', function once() {
        if (!det.open || det.dataset.loaded) return;
        det.dataset.loaded = '1';
        det.appendChild(refBody(target, depth, nextSeen));
      });
      return det;
    }

    var box = h('div', 'struct');
    var any = false;

    if (Array.isArray(s.allOf)) {
      var merged = mergeAllOf(s, seen);
      var nextSeenAll = seen.concat(merged.refs);
      if (merged.refs.length) {
        var note = add(h('div', 'note'), 'all of ');
        merged.refs.forEach(function (r, i) { if (i) add(note, ', '); add(note, refLink(r)); });
        box.appendChild(note);
      }
      if (Object.keys(merged.properties).length || merged.additionalProperties !== undefined) {
        box.appendChild(propList(merged.properties, merged.required, merged.additionalProperties, depth, nextSeenAll));
      }
      (s.allOf || []).forEach(function (part) {
        if (isObj(part) && !part.$ref && (Array.isArray(part.oneOf) || Array.isArray(part.anyOf))) {
          var st = structure(part, depth + 1, nextSeenAll, false);
          if (st) box.appendChild(st);
        }
      });
      return box;
    }

    ['oneOf', 'anyOf'].forEach(function (k) {
      if (!Array.isArray(s[k])) return;
      var variants = s[k].filter(function (v) { return !isNullSchema(v); });
      // `anyOf: [X, {type: null}]` is a nullable X (the label already says "X | null").
      if (variants.length <= 1) {
        if (variants.length === 1) {
          var st1 = structure(variants[0], depth, seen, expandRef);
          if (st1) { box.appendChild(st1); any = true; }
        }
        return;
      }
      any = true;
      var vbox = h('div', 'variants');
      add(vbox, h('div', 'variants-head', k === 'oneOf' ? 'exactly one of:' : 'any of:'));
      s[k].forEach(function (v, i) {
        var item = h('div', 'variant');
        var vh = add(h('div', 'variant-head'), h('span', 'variant-n', String(i + 1)));
        if (isObj(v) && !v.$ref && typeof v.title === 'string' && v.title) add(vh, h('span', 'variant-title', v.title));
        add(vh, typeLabel(v), metaBadges(v));
        item.appendChild(vh);
        if (isObj(v) && !v.$ref && typeof v.description === 'string') add(item, markdown(v.description, 'desc'));
        var st = structure(v, depth + 1, seen, false);
        if (st) item.appendChild(st);
        vbox.appendChild(item);
      });
      box.appendChild(vbox);
    });

    var types = typesOf(s);
    if (isObj(s.properties) || (types.indexOf('object') >= 0 && s.additionalProperties !== undefined)) {
      box.appendChild(propList(s.properties || {}, s.required || [], s.additionalProperties, depth, seen));
      any = true;
    } else if (types.indexOf('array') >= 0 && isObj(s.items)) {
      var inner = structure(s.items, depth + 1, seen, expandRef);
      var itemMeta = !s.items.$ref && (Array.isArray(s.items.enum) || s.items.description);
      if (inner && !itemMeta && s.items.$ref) {
        box.appendChild(inner);
        any = true;
      } else if (inner || itemMeta) {
        var arr = h('div', 'items');
        add(arr, add(h('div', 'items-head'), 'items: ', typeLabel(s.items), metaBadges(s.items)));
        if (itemMeta) arr.appendChild(metaBlock(s.items));
        if (inner) arr.appendChild(inner);
        box.appendChild(arr);
        any = true;
      }
    }
    return any ? box : null;
  }

  function hasStructure(s) {
    if (!isObj(s)) return false;
    if (s.$ref) return true;
    if (isObj(s.properties) || Array.isArray(s.allOf)) return true;
    if (Array.isArray(s.oneOf) || Array.isArray(s.anyOf)) return true;
    if (isObj(s.additionalProperties)) return true;
    if (isObj(s.items)) return hasStructure(s.items) || Array.isArray(s.items.enum);
    return false;
  }

  function refBody(target, depth, seen) {
    var box = h('div', 'ref-body');
    var meta = metaBlock(target);
    if (meta.childNodes.length) box.appendChild(meta);
    var st = structure(target, depth + 1, seen, false);
    if (st) box.appendChild(st);
    return box;
  }

  function propList(props, required, additional, depth, seen) {
    var list = h('div', 'props');
    var req = Array.isArray(required) ? required : [];
    Object.keys(props).forEach(function (name) {
      list.appendChild(propRow(name, props[name], req.indexOf(name) >= 0, depth, seen));
    });
    if (additional === true || (isObj(additional) && !Object.keys(additional).length)) {
      list.appendChild(add(h('div', 'prop prop-extra'), h('span', 'prop-name', '*'), h('span', 'note', 'any additional properties')));
    } else if (isObj(additional)) {
      list.appendChild(propRow('[key: string]', additional, false, depth, seen, true));
    }
    if (!list.childNodes.length) list.appendChild(h('div', 'note', 'no properties'));
    return list;
  }

  function propRow(name, s, isRequired, depth, seen, isPattern) {
    var row = h('div', 'prop');
    var head = h('div', 'prop-head');
    add(head, h('span', 'prop-name' + (isPattern ? ' pattern' : ''), name));
    if (isRequired) add(head, h('span', 'req', 'required'));
    add(head, typeLabel(s), metaBadges(s));
    row.appendChild(head);
    var sibling = isObj(s) && s.$ref ? s : null;
    var meta = metaBlock(sibling ? { description: s.description } : s);
    if (meta.childNodes.length) row.appendChild(meta);
    var st = structure(s, depth + 1, seen, false);
    if (st) row.appendChild(st);
    return row;
  }

  /* A whole schema: its type line, its description and its nested structure. */
  function schemaView(s, expandRef, hideTop, selfRef) {
    var box = h('div', 'schema');
    if (!hideTop) {
      var top = h('div', 'schema-top');
      add(top, typeLabel(s), metaBadges(s));
      box.appendChild(top);
    }
    if (isObj(s) && !s.$ref) {
      var meta = metaBlock(s);
      if (meta.childNodes.length) box.appendChild(meta);
    }
    var st = structure(s, 0, selfRef ? [selfRef] : [], expandRef !== false);
    if (st) box.appendChild(st);
    return box;
  }

  // ---------------------------------------------------------------- examples

  function sampleString(format) {
    switch (format) {
      case 'date-time': return '2025-01-01T12:00:00Z';
      case 'date': return '2025-01-01';
      case 'time': return '12:00:00';
      case 'email': return 'user@example.com';
      case 'uuid': return '00000000-0000-0000-0000-000000000000';
      case 'uri': case 'url': return 'https://example.com';
      case 'uri-reference': return '/path';
      case 'hostname': return 'example.com';
      case 'ipv4': return '192.0.2.1';
      case 'ipv6': return '2001:db8::1';
      case 'password': return 'correct horse battery staple';
      default: return 'string';
    }
  }

  /* An example value: `examples[0]` / `example` / default / enum, else a skeleton from the schema. */
  function exampleOf(s, depth, seen, forRequest) {
    depth = depth || 0;
    seen = seen || [];
    if (s === true || s === undefined || s === null) return null;
    if (!isObj(s) || depth > 6) return null;
    if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
    if (s.example !== undefined) return s.example;
    if (s.const !== undefined) return s.const;
    if (s.default !== undefined) return s.default;
    if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
    if (typeof s.$ref === 'string') {
      if (seen.indexOf(s.$ref) >= 0) return null;
      var target = deref(s);
      return target === s ? null : exampleOf(target, depth + 1, seen.concat([s.$ref]), forRequest);
    }
    if (Array.isArray(s.allOf)) {
      var out = {}, isObject = false, scalar;
      s.allOf.forEach(function (part) {
        var v = exampleOf(part, depth + 1, seen, forRequest);
        if (isObj(v)) { isObject = true; Object.keys(v).forEach(function (k) { out[k] = v[k]; }); } else if (v !== null) scalar = v;
      });
      if (isObj(s.properties)) {
        isObject = true;
        var own = exampleOf({ type: 'object', properties: s.properties }, depth + 1, seen, forRequest);
        Object.keys(own).forEach(function (k) { out[k] = own[k]; });
      }
      return isObject ? out : (scalar === undefined ? null : scalar);
    }
    var variants = Array.isArray(s.oneOf) ? s.oneOf : (Array.isArray(s.anyOf) ? s.anyOf : null);
    if (variants) {
      for (var i = 0; i < variants.length; i++) {
        if (!isNullSchema(variants[i])) return exampleOf(variants[i], depth + 1, seen, forRequest);
      }
      return null;
    }
    var types = typesOf(s).filter(function (t) { return t !== 'null'; });
    var t = types[0];
    if (!t) return isObj(s.properties) ? exampleOf(Object.assign({ type: 'object' }, s), depth, seen, forRequest) : null;
    switch (t) {
      case 'object':
        var obj = {};
        if (isObj(s.properties)) {
          Object.keys(s.properties).forEach(function (k) {
            var p = s.properties[k];
            var rp = deref(p);
            if (forRequest && ((isObj(p) && p.readOnly) || (isObj(rp) && rp.readOnly))) return;
            obj[k] = exampleOf(p, depth + 1, seen, forRequest);
          });
        }
        return obj;
      case 'array':
        var item = exampleOf(s.items, depth + 1, seen, forRequest);
        return item === null && !isObj(s.items) ? [] : [item];
      case 'string': return sampleString(s.format);
      case 'integer': return typeof s.minimum === 'number' ? s.minimum : 0;
      case 'number': return typeof s.minimum === 'number' ? s.minimum : 0;
      case 'boolean': return false;
      default: return null;
    }
  }

  function mediaExample(media) {
    if (!isObj(media)) return undefined;
    if (media.example !== undefined) return media.example;
    if (isObj(media.examples)) {
      var keys = Object.keys(media.examples);
      for (var i = 0; i < keys.length; i++) {
        var ex = deref(media.examples[keys[i]]);
        if (isObj(ex) && ex.value !== undefined) return ex.value;
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- operations

  function jsonMediaKey(content) {
    if (!isObj(content)) return null;
    var keys = Object.keys(content);
    if (keys.indexOf('application/json') >= 0) return 'application/json';
    for (var i = 0; i < keys.length; i++) if (/json/i.test(keys[i])) return keys[i];
    return keys[0] || null;
  }

  function collectParams(pathItem, op) {
    var byKey = {}, order = [];
    function addAll(list) {
      if (!Array.isArray(list)) return;
      list.forEach(function (raw) {
        var p = deref(raw);
        if (!isObj(p) || typeof p.name !== 'string') return;
        var key = p.in + ':' + p.name;
        if (!byKey[key]) order.push(key);
        byKey[key] = p;
      });
    }
    addAll(pathItem.parameters);
    addAll(op.parameters);
    var rank = { path: 0, query: 1, header: 2, cookie: 3 };
    return order.map(function (k) { return byKey[k]; }).sort(function (a, b) {
      return (rank[a.in] === undefined ? 9 : rank[a.in]) - (rank[b.in] === undefined ? 9 : rank[b.in]);
    });
  }

  function paramSchema(p) {
    if (isObj(p.schema)) return p.schema;
    if (isObj(p.content)) { var k = Object.keys(p.content)[0]; if (k && isObj(p.content[k])) return p.content[k].schema; }
    return undefined;
  }

  function securityLabel(op) {
    var sec = Array.isArray(op.security) ? op.security : spec.security;
    if (!Array.isArray(sec)) return null;
    if (!sec.length) return { public: true, text: 'no authentication' };
    var optional = false;
    var names = [];
    sec.forEach(function (req) {
      if (!isObj(req)) return;
      var keys = Object.keys(req);
      if (!keys.length) optional = true;
      var group = keys.map(function (k) {
        var scopes = Array.isArray(req[k]) && req[k].length ? ' (' + req[k].join(', ') + ')' : '';
        return k + scopes;
      }).join(' + ');
      if (group) names.push(group);
    });
    return { public: false, optional: optional, text: names.join(' or ') + (optional ? ' (optional)' : '') };
  }

  function statusClass(code) {
    var c = String(code).charAt(0);
    if (c === '2') return 's2';
    if (c === '3') return 's3';
    if (c === '4') return 's4';
    if (c === '5') return 's5';
    return 'sd';
  }

  function renderParams(params) {
    var table = h('table', 'params');
    var thead = add(h('thead'), add(h('tr'), h('th', null, 'Name'), h('th', null, 'In'), h('th', null, 'Type'), h('th', null, 'Description')));
    var tbody = h('tbody');
    params.forEach(function (p) {
      var s = paramSchema(p);
      var name = add(h('td', 'p-name'), h('span', 'mono', p.name));
      if (p.required) add(name, h('span', 'req', 'required'));
      if (p.deprecated) add(name, badge('deprecated', 'b-dep'));
      var type = add(h('td', 'p-type'), typeLabel(s), metaBadges(s));
      var desc = h('td', 'p-desc');
      if (p.description) desc.appendChild(markdown(p.description, 'desc'));
      var meta = metaBlock(isObj(s) && !s.$ref ? Object.assign({}, s, { description: undefined, title: undefined }) : null);
      if (meta.childNodes.length) desc.appendChild(meta);
      if (p.example !== undefined) add(desc, add(h('div', 'example-line'), h('span', 'meta-label', 'example'), h('code', null, json(p.example))));
      add(tbody, add(h('tr'), name, add(h('td'), h('span', 'in in-' + (/^(path|query|header|cookie)$/.test(p.in) ? p.in : 'other'), String(p.in))), type, desc));
    });
    return add(table, thead, tbody);
  }

  function renderBody(rb) {
    var box = h('div', 'body-doc');
    if (rb.description) box.appendChild(markdown(rb.description, 'desc'));
    var content = isObj(rb.content) ? rb.content : {};
    Object.keys(content).forEach(function (type) {
      var media = content[type] || {};
      var head = add(h('div', 'media-head'), h('span', 'media', type));
      if (rb.required) add(head, h('span', 'req', 'required'));
      else add(head, h('span', 'optional', 'optional'));
      box.appendChild(head);
      if (media.schema !== undefined) box.appendChild(schemaView(media.schema, true));
    });
    return box;
  }

  function renderResponses(responses) {
    var box = h('div', 'responses');
    Object.keys(responses).sort(function (a, b) {
      if (a === 'default') return 1;
      if (b === 'default') return -1;
      return a < b ? -1 : a > b ? 1 : 0;
    }).forEach(function (code) {
      var r = deref(responses[code]);
      if (!isObj(r)) return;
      var item = h('details', 'response');
      if (/^2/.test(code)) item.open = true;
      var sum = add(h('summary'), h('span', 'status ' + statusClass(code), code));
      add(sum, inline(h('span', 'resp-desc'), str(r.description).split('\n')[0]));
      var content = isObj(r.content) ? r.content : {};
      var types = Object.keys(content);
      if (types.length) add(sum, h('span', 'media small', types.join(', ')));
      item.appendChild(sum);
      var body = h('div', 'response-body');
      if (str(r.description).indexOf('\n') >= 0) body.appendChild(markdown(r.description, 'desc'));
      if (isObj(r.headers) && Object.keys(r.headers).length) {
        var hl = h('div', 'resp-headers');
        add(hl, h('div', 'sub-label', 'Headers'));
        Object.keys(r.headers).forEach(function (name) {
          var hd = deref(r.headers[name]) || {};
          var row = add(h('div', 'resp-header'), h('span', 'mono hname', name), typeLabel(hd.schema));
          if (hd.description) add(row, inline(h('span', 'desc-inline'), str(hd.description)));
          hl.appendChild(row);
        });
        body.appendChild(hl);
      }
      types.forEach(function (type) {
        var media = content[type] || {};
        if (types.length > 1) add(body, h('div', 'sub-label', type));
        if (media.schema !== undefined) body.appendChild(schemaView(media.schema, true));
      });
      if (!body.childNodes.length) body.appendChild(h('div', 'note', 'No content.'));
      item.appendChild(body);
      box.appendChild(item);
    });
    return box;
  }

  function renderOperation(path, method, op, pathItem, usedIds) {
    var params = collectParams(pathItem, op);
    var det = h('details', 'op m-' + method);
    det.id = slug(op.operationId || (method + path), 'op-', usedIds);
    if (op.deprecated) det.classList.add('deprecated');

    var sum = h('summary', 'op-summary');
    add(sum, h('span', 'method', method.toUpperCase()), h('span', 'path', path));
    add(sum, h('span', 'op-title', str(op.summary)));
    var sec = securityLabel(op);
    if (sec) {
      var lock = h('span', 'lock ' + (sec.public ? 'open' : 'closed'), sec.public ? 'public' : 'auth');
      lock.title = sec.public ? 'No authentication' : 'Requires ' + sec.text;
      add(sum, lock);
    }
    det.appendChild(sum);

    var body = h('div', 'op-body');
    det.appendChild(body);
    // The body is built on first open: big documents stay fast.
    det.addEventListener('toggle', function () {
      if (!det.open || det.dataset.built) return;
      det.dataset.built = '1';
      buildOperationBody(body, path, method, op, params, sec);
    });
    return { el: det, haystack: (method + ' ' + path + ' ' + str(op.summary) + ' ' + str(op.operationId)).toLowerCase() };
  }

  function buildOperationBody(body, path, method, op, params, sec) {
    var info = h('div', 'op-info');
    if (op.operationId) add(info, add(h('span', 'op-id'), 'operationId ', h('code', null, String(op.operationId))));
    if (sec) add(info, add(h('span', 'op-sec'), sec.public ? 'No authentication' : 'Auth: ', sec.public ? null : h('code', null, sec.text)));
    if (op.deprecated) add(info, badge('deprecated', 'b-dep'));
    body.appendChild(info);
    if (op.description) body.appendChild(markdown(op.description, 'op-desc'));

    if (params.length) {
      add(body, h('h4', null, 'Parameters'), renderParams(params));
    }
    var rb = deref(op.requestBody);
    if (isObj(rb)) add(body, h('h4', null, 'Request body'), renderBody(rb));
    if (isObj(op.responses)) add(body, h('h4', null, 'Responses'), renderResponses(op.responses));
    body.appendChild(tryIt(path, method, op, params, rb));
  }

  // ---------------------------------------------------------------- try it

  function tryIt(path, method, op, params, rb) {
    var box = h('div', 'try');
    var head = add(h('div', 'try-head'), h('h4', null, 'Try it'));
    var note = h('span', 'try-note');
    head.appendChild(note);
    box.appendChild(head);

    var inputs = [];
    if (params.length) {
      var grid = h('div', 'try-grid');
      params.forEach(function (p) {
        if (p.in === 'cookie') return;
        var id = 'in-' + Math.random().toString(36).slice(2);
        var label = h('label', 'try-label');
        label.htmlFor = id;
        add(label, h('span', 'mono', p.name), h('span', 'in in-' + p.in, p.in));
        if (p.required) add(label, h('span', 'req', 'required'));
        var s = paramSchema(p);
        var rs = deref(s);
        var input;
        if (isObj(rs) && Array.isArray(rs.enum)) {
          input = h('select', 'try-input');
          add(input, h('option', null, ''));
          rs.enum.forEach(function (v) { var o = h('option', null, String(v)); o.value = String(v); input.appendChild(o); });
        } else {
          input = h('input', 'try-input');
          input.type = 'text';
          input.spellcheck = false;
          input.autocomplete = 'off';
          var ex = p.example !== undefined ? p.example : exampleOf(s);
          var hint = ex !== null && ex !== undefined ? (typeof ex === 'string' ? ex : json(ex)) : '';
          input.placeholder = hint || (isObj(rs) ? typesOf(rs).join(' | ') : '');
          if (p.in === 'header' && /^idempotency-key$/i.test(p.name)) {
            var gen = h('button', 'btn tiny ghost', 'generate');
            gen.type = 'button';
            gen.addEventListener('click', function () { input.value = uuid(); update(); });
            add(label, gen);
          }
        }
        input.id = id;
        inputs.push({ p: p, input: input });
        add(grid, add(h('div', 'try-field'), label, input));
      });
      box.appendChild(grid);
    }

    var textarea = null, mediaType = null;
    if (!BODYLESS[method] && isObj(rb) && isObj(rb.content)) {
      mediaType = jsonMediaKey(rb.content);
      var media = rb.content[mediaType] || {};
      var ex = mediaExample(media);
      if (ex === undefined) ex = exampleOf(media.schema, 0, [], true);
      textarea = h('textarea', 'try-body');
      textarea.spellcheck = false;
      textarea.rows = 8;
      textarea.value = ex === null || ex === undefined ? '' : JSON.stringify(ex, null, 2);
      var lines = textarea.value.split('\n').length;
      textarea.rows = Math.max(4, Math.min(20, lines + 1));
      var bl = add(h('div', 'try-label'), 'Body ', h('span', 'media', mediaType || 'application/json'));
      if (!rb.required) add(bl, h('span', 'optional', 'optional'));
      add(box, bl, textarea);
    }

    var preview = h('div', 'try-preview mono');
    var actions = h('div', 'try-actions');
    var send = h('button', 'btn primary', 'Send');
    send.type = 'button';
    var reset = h('button', 'btn ghost', 'Reset');
    reset.type = 'button';
    var curlBtn = h('button', 'btn ghost', 'Copy as curl');
    curlBtn.type = 'button';
    add(actions, send, reset, curlBtn, preview);
    box.appendChild(actions);
    var result = h('div', 'try-result hidden');
    box.appendChild(result);

    /* A deepObject parameter is typed as JSON ({"lastName": "x", "amount": {"gte": "10"}}) and
     * sent as name[key]=value and name[key][op]=value pairs; text that is not a JSON object is
     * sent as it is, so the server's own error explains it. */
    function deepObjectPairs(name, text) {
      var value;
      try { value = JSON.parse(text); } catch (e) { value = null; }
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        return [encodeURIComponent(name) + '=' + encodeURIComponent(text)];
      }
      var pairs = [];
      Object.keys(value).forEach(function (key) {
        var inner = value[key];
        if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
          Object.keys(inner).forEach(function (op) {
            pairs.push(encodeURIComponent(name + '[' + key + '][' + op + ']') + '=' + encodeURIComponent(String(inner[op])));
          });
        } else {
          pairs.push(encodeURIComponent(name + '[' + key + ']') + '=' + encodeURIComponent(Array.isArray(inner) ? inner.join(',') : String(inner)));
        }
      });
      return pairs;
    }

    function build() {
      var missing = [];
      var url = path.replace(/\{([^}]+)\}/g, function (m, name) {
        var entry = inputs.filter(function (x) { return x.p.in === 'path' && x.p.name === name; })[0];
        var v = entry ? entry.input.value.trim() : '';
        if (!v) { missing.push(name); return m; }
        return encodeURIComponent(v);
      });
      if (basePath && url.indexOf(basePath + '/') !== 0 && url !== basePath) url = basePath + url;
      var query = [];
      var headers = {};
      inputs.forEach(function (x) {
        var v = x.input.value;
        if (x.p.in === 'query') {
          if (v !== '' && x.p.style === 'deepObject') deepObjectPairs(x.p.name, v).forEach(function (pair) { query.push(pair); });
          else if (v !== '') query.push(encodeURIComponent(x.p.name) + '=' + encodeURIComponent(v));
          else if (x.p.required) missing.push(x.p.name);
        } else if (x.p.in === 'header') {
          if (v !== '') headers[x.p.name] = v;
          else if (x.p.required) missing.push(x.p.name);
        }
      });
      if (query.length) url += '?' + query.join('&');
      return { url: url, headers: headers, missing: missing };
    }

    function update() {
      var b = build();
      preview.textContent = method.toUpperCase() + ' ' + b.url;
      note.textContent = token() ? 'sent with your token' : 'sent without a token';
    }
    inputs.forEach(function (x) { x.input.addEventListener('input', update); x.input.addEventListener('change', update); });
    update();
    box.addEventListener('focusin', update);

    reset.addEventListener('click', function () {
      inputs.forEach(function (x) { x.input.value = ''; });
      if (textarea) {
        var media = rb.content[mediaType] || {};
        var ex = mediaExample(media);
        if (ex === undefined) ex = exampleOf(media.schema, 0, [], true);
        textarea.value = ex === null || ex === undefined ? '' : JSON.stringify(ex, null, 2);
      }
      clear(result);
      result.classList.add('hidden');
      update();
    });

    curlBtn.addEventListener('click', function () {
      var b = build();
      var parts = ['curl -i -X ' + method.toUpperCase() + ' ' + shellQuote(location.origin + b.url)];
      if (token()) parts.push("-H 'Authorization: Bearer $TOKEN'");
      Object.keys(b.headers).forEach(function (k) { parts.push('-H ' + shellQuote(k + ': ' + b.headers[k])); });
      if (textarea && textarea.value.trim()) {
        parts.push('-H ' + shellQuote('Content-Type: ' + (mediaType || 'application/json')));
        parts.push('--data ' + shellQuote(textarea.value.trim()));
      }
      var text = parts.join(' \\\n  ');
      var done = function () { curlBtn.textContent = 'Copied'; setTimeout(function () { curlBtn.textContent = 'Copy as curl'; }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { showCurl(text); });
      } else {
        showCurl(text);
      }
    });

    function showCurl(text) {
      clear(result);
      result.classList.remove('hidden');
      add(result, h('div', 'sub-label', 'curl'), h('pre', 'code-block', text));
    }

    send.addEventListener('click', function () {
      var b = build();
      clear(result);
      result.classList.remove('hidden');
      if (b.missing.length) {
        add(result, h('div', 'try-error', 'Missing required parameter' + (b.missing.length > 1 ? 's' : '') + ': ' + b.missing.join(', ')));
        return;
      }
      var target;
      try { target = new URL(b.url, location.origin); } catch (e) { target = null; }
      if (!target || target.origin !== location.origin) {
        add(result, h('div', 'try-error', 'Refusing to call another origin.'));
        return;
      }
      var headers = { 'Accept': 'application/json, application/problem+json;q=0.9, */*;q=0.1' };
      Object.keys(b.headers).forEach(function (k) { headers[k] = b.headers[k]; });
      if (token()) headers['Authorization'] = 'Bearer ' + token();
      var init = { method: method.toUpperCase(), headers: headers, credentials: 'omit', cache: 'no-store', redirect: 'manual' };
      if (textarea && textarea.value.trim()) {
        try { JSON.parse(textarea.value); } catch (e) {
          add(result, h('div', 'try-error', 'The body is not valid JSON: ' + e.message));
          return;
        }
        headers['Content-Type'] = mediaType || 'application/json';
        init.body = textarea.value;
      }
      send.disabled = true;
      send.textContent = 'Sending…';
      var started = performance.now();
      fetch(target.pathname + target.search, init).then(function (res) {
        return res.text().then(function (text) { showResponse(result, res, text, performance.now() - started); });
      }).catch(function (err) {
        add(result, h('div', 'try-error', 'Request failed: ' + (err && err.message ? err.message : String(err))));
      }).then(function () {
        send.disabled = false;
        send.textContent = 'Send';
      });
    });

    return box;
  }

  function showResponse(box, res, text, ms) {
    var head = h('div', 'res-head');
    add(head, h('span', 'status big ' + statusClass(res.status), res.type === 'opaqueredirect' ? 'redirect' : String(res.status)));
    if (res.statusText) add(head, h('span', 'res-text', res.statusText));
    add(head, h('span', 'res-time', Math.round(ms) + ' ms'));
    box.appendChild(head);

    var names = [];
    res.headers.forEach(function (v, k) { names.push(k); });
    names.sort(function (a, b) {
      var ia = KEY_HEADERS.indexOf(a), ib = KEY_HEADERS.indexOf(b);
      if (ia < 0) ia = 99;
      if (ib < 0) ib = 99;
      return ia - ib || (a < b ? -1 : a > b ? 1 : 0);
    });
    var table = h('table', 'res-headers');
    var tb = h('tbody');
    names.forEach(function (k) {
      var tr = add(h('tr', KEY_HEADERS.indexOf(k) >= 0 && k !== 'content-type' ? 'key' : null), h('th', null, k), h('td', null, res.headers.get(k)));
      tb.appendChild(tr);
    });
    ['etag', 'location', 'x-request-id'].forEach(function (k) {
      if (!res.headers.has(k)) tb.appendChild(add(h('tr', 'absent'), h('th', null, k), h('td', null, '—')));
    });
    table.appendChild(tb);
    add(box, h('div', 'sub-label', 'Response headers'), table);

    var pretty = text;
    var ct = res.headers.get('content-type') || '';
    if (text && (/json/i.test(ct) || /^\s*[[{]/.test(text))) {
      try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { pretty = text; }
    }
    add(box, h('div', 'sub-label', 'Body'), h('pre', 'code-block' + (text ? '' : ' empty'), text ? pretty : '(empty body)'));
  }

  function shellQuote(s) { return "'" + String(s).replace(/'/g, "'\\''") + "'"; }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var x = Array.prototype.map.call(b, function (n) { return (n + 0x100).toString(16).slice(1); }).join('');
    return x.slice(0, 8) + '-' + x.slice(8, 12) + '-' + x.slice(12, 16) + '-' + x.slice(16, 20) + '-' + x.slice(20);
  }

  // ---------------------------------------------------------------- page

  function renderOverview(content) {
    var info = isObj(spec.info) ? spec.info : {};
    var sec = h('section', 'overview');
    sec.id = 'overview';
    add(sec, h('h2', null, str(info.title) || 'API'));
    var meta = h('div', 'overview-meta');
    if (info.version) add(meta, add(h('span'), 'Version ', h('code', null, String(info.version))));
    if (spec.openapi) add(meta, add(h('span'), 'OpenAPI ', h('code', null, String(spec.openapi))));
    var raw = h('a', null, 'openapi.json');
    raw.href = SPEC_URL;
    add(meta, add(h('span'), 'Document ', raw));
    sec.appendChild(meta);
    if (info.description) sec.appendChild(markdown(info.description, 'intro'));

    var schemes = isObj(spec.components) && isObj(spec.components.securitySchemes) ? spec.components.securitySchemes : null;
    if (schemes && Object.keys(schemes).length) {
      var table = h('table', 'schemes');
      add(table, add(h('thead'), add(h('tr'), h('th', null, 'Security scheme'), h('th', null, 'Type'), h('th', null, 'Description'))));
      var tb = h('tbody');
      Object.keys(schemes).forEach(function (name) {
        var s = deref(schemes[name]) || {};
        var type = [s.type, s.scheme, s.bearerFormat, s.in && s.name ? (s.in + ' ' + s.name) : null].filter(Boolean).join(' · ');
        var desc = h('td');
        if (s.description) desc.appendChild(markdown(s.description, 'desc'));
        add(tb, add(h('tr'), add(h('td'), h('code', null, name)), h('td', 'mono', type), desc));
      });
      table.appendChild(tb);
      sec.appendChild(table);
    }
    content.appendChild(sec);
  }

  function render() {
    var content = $('content');
    var nav = $('nav');
    clear(content);
    clear(nav);
    schemaIds = {};
    opEntries = [];
    tagEntries = {};
    schemaEntries = [];
    schemaSection = schemaNavHead = null;
    var used = {};

    var info = isObj(spec.info) ? spec.info : {};
    $('api-title').textContent = str(info.title) || 'API documentation';
    document.title = (str(info.title) || 'API') + ' — documentation';
    var ver = $('api-version');
    ver.textContent = info.version ? 'v' + String(info.version).replace(/^v/, '') : '';
    ver.classList.toggle('hidden', !info.version);

    basePath = '';
    if (Array.isArray(spec.servers) && isObj(spec.servers[0]) && typeof spec.servers[0].url === 'string') {
      try {
        var su = new URL(spec.servers[0].url, location.origin);
        if (su.origin === location.origin) basePath = su.pathname.replace(/\/+$/, '');
      } catch (e) { basePath = ''; }
    }

    var schemas = isObj(spec.components) && isObj(spec.components.schemas) ? spec.components.schemas : {};
    var schemaNames = Object.keys(schemas);
    schemaNames.forEach(function (name) { schemaIds[name] = slug(name, 'schema-', used); });

    // Group operations by tag: declared tags first (in their order), then the others.
    var groups = {}, order = [];
    var tagInfo = {};
    (Array.isArray(spec.tags) ? spec.tags : []).forEach(function (t) {
      if (!isObj(t) || typeof t.name !== 'string') return;
      tagInfo[t.name] = t;
      if (!groups[t.name]) { groups[t.name] = []; order.push(t.name); }
    });
    var paths = isObj(spec.paths) ? spec.paths : {};
    Object.keys(paths).forEach(function (path) {
      var item = deref(paths[path]);
      if (!isObj(item)) return;
      METHODS.forEach(function (m) {
        var op = item[m];
        if (!isObj(op)) return;
        var tags = Array.isArray(op.tags) && op.tags.length ? op.tags : ['other'];
        tags.forEach(function (t) {
          t = String(t);
          if (!groups[t]) { groups[t] = []; order.push(t); }
          groups[t].push({ path: path, method: m, op: op, item: item });
        });
      });
    });

    renderOverview(content);

    var navOverview = h('a', 'nav-item nav-overview', 'Overview');
    navOverview.href = '#overview';
    nav.appendChild(navOverview);

    add(nav, h('div', 'nav-head', 'Operations'));
    var navTags = h('ul', 'nav-list');
    nav.appendChild(navTags);
    var totalOps = 0;
    order.forEach(function (tag) {
      var ops = groups[tag];
      if (!ops.length) return;
      var t = tagInfo[tag] || {};
      var section = h('section', 'tag');
      section.id = slug(tag, 'tag-', used);
      var th = add(h('div', 'tag-head'), h('h2', null, tag));
      if (t.externalDocs && typeof t.externalDocs.url === 'string' && /^(https?:\/\/|\/)/.test(t.externalDocs.url)) {
        var ext = h('a', 'ext', str(t.externalDocs.description) || 'More');
        ext.href = t.externalDocs.url;
        ext.rel = 'noopener noreferrer';
        th.appendChild(ext);
      }
      section.appendChild(th);
      if (t.description) section.appendChild(markdown(t.description, 'tag-desc'));
      var list = h('div', 'ops');
      ops.forEach(function (o) {
        var entry = renderOperation(o.path, o.method, o.op, o.item, used);
        entry.tagKey = tag;
        opEntries.push(entry);
        list.appendChild(entry.el);
      });
      section.appendChild(list);
      content.appendChild(section);

      var li = h('li');
      var a = h('a', 'nav-item', tag);
      a.href = '#' + section.id;
      var count = h('span', 'count', String(ops.length));
      a.appendChild(count);
      li.appendChild(a);
      navTags.appendChild(li);
      tagEntries[tag] = { section: section, navCount: count, navItem: li, total: ops.length };
      totalOps += ops.length;
    });
    if (!totalOps) content.appendChild(h('div', 'empty', 'This document has no operations.'));
    var noMatch = h('div', 'empty hidden', 'No operations match the filter.');
    noMatch.id = 'no-match';
    content.appendChild(noMatch);

    if (schemaNames.length) {
      schemaNavHead = add(nav, h('div', 'nav-head', 'Schemas')).lastChild;
      var navSchemas = h('ul', 'nav-list nav-schemas');
      nav.appendChild(navSchemas);
      var sec = schemaSection = h('section', 'tag schemas');
      sec.id = slug('schemas', 'section-', used);
      add(sec, add(h('div', 'tag-head'), h('h2', null, 'Schemas')));
      schemaNames.forEach(function (name) {
        var card = h('details', 'schema-card');
        card.id = schemaIds[name];
        var s = schemas[name];
        var sum = add(h('summary'), h('span', 'schema-name', name), typeLabel(s));
        if (isObj(s) && typeof s.description === 'string') add(sum, inline(h('span', 'schema-sum'), s.description.split('\n')[0]));
        card.appendChild(sum);
        card.addEventListener('toggle', function () {
          if (!card.open || card.dataset.built) return;
          card.dataset.built = '1';
          var body = h('div', 'schema-body');
          var selfRef = '#/components/schemas/' + name.replace(/~/g, '~0').replace(/\//g, '~1');
          body.appendChild(schemaView(s, false, true, selfRef));
          var ex = exampleOf(s, 0, [selfRef], false);
          if (ex !== null && typeof ex === 'object') {
            var exd = h('details', 'example');
            add(exd, h('summary', null, 'Example'), h('pre', 'code-block', JSON.stringify(ex, null, 2)));
            body.appendChild(exd);
          }
          card.appendChild(body);
        });
        sec.appendChild(card);
        var li = h('li');
        var a = h('a', 'nav-item mono', name);
        a.href = '#' + card.id;
        li.appendChild(a);
        navSchemas.appendChild(li);
        schemaEntries.push({ card: card, navItem: li, name: name.toLowerCase() });
      });
      content.appendChild(sec);
    }

    applyFilter();
    openHash(false);
  }

  function applyFilter() {
    var q = $('filter').value.trim().toLowerCase();
    var terms = q ? q.split(/\s+/) : [];
    var counts = {}, shown = 0;
    opEntries.forEach(function (e) {
      var ok = terms.every(function (t) { return e.haystack.indexOf(t) >= 0; });
      e.el.classList.toggle('hidden', !ok);
      if (ok) { counts[e.tagKey] = (counts[e.tagKey] || 0) + 1; shown++; }
    });
    Object.keys(tagEntries).forEach(function (k) {
      var t = tagEntries[k], n = counts[k] || 0;
      t.section.classList.toggle('hidden', n === 0);
      t.navItem.classList.toggle('dim', n === 0);
      t.navCount.textContent = q ? n + '/' + t.total : String(t.total);
    });
    var schemasShown = 0;
    schemaEntries.forEach(function (s) {
      var ok = terms.every(function (t) { return s.name.indexOf(t) >= 0; });
      s.navItem.classList.toggle('hidden', !ok);
      s.card.classList.toggle('hidden', !ok);
      if (ok) schemasShown++;
    });
    if (schemaSection) {
      schemaSection.classList.toggle('hidden', schemasShown === 0);
      schemaNavHead.classList.toggle('hidden', schemasShown === 0);
    }
    var nm = $('no-match');
    if (nm) nm.classList.toggle('hidden', !(q && opEntries.length && shown === 0));
  }

  /* Opens the <details> a #fragment points at (and its ancestors), then scrolls to it. */
  function openHash(smooth) {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    var filtered = false;
    for (var n = target; n; n = n.parentElement) {
      if (n.classList && n.classList.contains('hidden')) filtered = true;
    }
    if (filtered) {
      $('filter').value = '';
      applyFilter();
    }
    for (var m = target; m; m = m.parentElement) {
      if (m.tagName === 'DETAILS' && !m.open) m.open = true;
    }
    target.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'start' });
    target.classList.add('flash');
    setTimeout(function () { target.classList.remove('flash'); }, 1200);
  }

  // ---------------------------------------------------------------- token and loading

  /* The token lives in sessionStorage (this tab only) and, should storage be unavailable, in memory. */
  var memoryToken = '';

  function storedToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }

  function token() { return memoryToken; }

  function setToken(value) {
    memoryToken = value || '';
    try {
      if (memoryToken) sessionStorage.setItem(TOKEN_KEY, memoryToken);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: keep it in memory only */ }
  }

  function showError(title, detail, extra) {
    var box = $('error');
    clear(box);
    add(box, h('div', 'error-title', title));
    if (detail) add(box, h('div', 'error-detail', detail));
    if (extra) box.appendChild(extra);
    box.classList.remove('hidden');
  }

  function hideError() {
    var box = $('error');
    clear(box);
    box.classList.add('hidden');
  }

  function setMode(tenant) {
    var pill = $('view-mode');
    pill.textContent = tenant ? 'Tenant view' : 'Public view';
    pill.classList.toggle('tenant', !!tenant);
  }

  var loadSeq = 0;
  function load() {
    var seq = ++loadSeq;
    var tok = token();
    var headers = { 'Accept': 'application/json' };
    if (tok) headers['Authorization'] = 'Bearer ' + tok;
    hideError();
    $('loading').classList.remove('hidden');
    $('load-tenant').disabled = true;
    fetch(SPEC_URL, { headers: headers, credentials: 'omit', cache: 'no-store' }).then(function (res) {
      return res.text().then(function (text) {
        if (seq !== loadSeq) return;
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!res.ok) {
          var detail = isObj(body) ? (str(body.detail) || str(body.title)) : '';
          if (!detail && text && text.length < 300 && !/^\s*</.test(text)) detail = text;
          var title = 'Could not load the API document (' + res.status + (res.statusText ? ' ' + res.statusText : '') + ')';
          var extra = null;
          if (tok && (res.status === 401 || res.status === 403)) {
            extra = h('div', 'error-actions');
            var b = h('button', 'btn ghost', 'Clear token and load the public view');
            b.type = 'button';
            b.addEventListener('click', clearToken);
            add(extra, b);
          }
          clear($('content'));
          clear($('nav'));
          setMode(false);
          showError(title, detail || null, extra);
          return;
        }
        if (!isObj(body) || (!body.openapi && !body.paths)) {
          clear($('content'));
          showError('The API document is not valid JSON', 'GET ' + SPEC_URL + ' did not return an OpenAPI document.');
          return;
        }
        spec = body;
        setMode(!!tok);
        render();
      });
    }).catch(function (err) {
      if (seq !== loadSeq) return;
      showError('Could not load the API document', 'Network error: ' + (err && err.message ? err.message : String(err)));
    }).then(function () {
      if (seq !== loadSeq) return;
      $('loading').classList.add('hidden');
      $('load-tenant').disabled = false;
    });
  }

  function clearToken() {
    $('token').value = '';
    setToken('');
    load();
  }

  function init() {
    var input = $('token');
    memoryToken = storedToken();
    input.value = memoryToken;
    $('load-tenant').addEventListener('click', function () {
      var v = input.value.trim().replace(/^bearer\s+/i, '');
      input.value = v;
      setToken(v);
      load();
    });
    $('clear-token').addEventListener('click', clearToken);
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); $('load-tenant').click(); }
    });
    $('token-toggle').addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      this.textContent = show ? 'Hide' : 'Show';
      this.setAttribute('aria-pressed', show ? 'true' : 'false');
    });
    var filter = $('filter');
    filter.addEventListener('input', applyFilter);
    filter.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { filter.value = ''; applyFilter(); filter.blur(); }
    });
    document.addEventListener('keydown', function (e) {
      var tag = (e.target && e.target.tagName) || '';
      if (e.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(tag) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        filter.focus();
      }
    });
    window.addEventListener('hashchange', function () { openHash(true); });
    load();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
