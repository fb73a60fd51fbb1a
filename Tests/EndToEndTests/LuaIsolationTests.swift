import Foundation
import Kernel
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

// What a script error may say, per family of attack (any one of them will do).
private let loopLimits = ["instruction limit exceeded", "time limit exceeded"]
private let memoryLimits = ["memory limit exceeded", "not enough memory"]
private let anyLimit = loopLimits + memoryLimits
// A runaway pattern search must end like a loop (its steps may be charged to the instruction
// budget as well as the clock), or be refused up front as too complex.
private let patternLimits = loopLimits + ["pattern too complex"]

/// One tenant-supplied piece of Lua that tries to escape its limits, and what it must come to.
struct LuaAttack: Sendable {
    enum Kind: String, Sendable {
        /// `lua` is the body of a `contacts.beforeSave` handler, run by `POST /contacts {"firstName": "attack"}`.
        case handler
        /// `lua` is a whole script, uploaded by `PUT /scripts/attack` (its top-level chunk runs then).
        case topLevel
        /// `lua` is the `formula` of a custom field `attack` on contacts, run by `POST /contacts`.
        case formula
        /// `lua` is the `validation.expression` of a custom field `attack`, run by `POST /contacts` with a value.
        case validation
    }

    enum Expect: Sendable {
        /// 422 `script_error` naming the script; `detail` contains one of these (none given: any message).
        case scriptError([String])
        /// 201: harmless once the runtime is right (it must merely answer quickly).
        case created
        /// 201, or 422 `script_error` (with one of these in `detail` if any are given); what matters
        /// is that the tampering has no effect, which the probes after every attack check.
        case createdOrScriptError([String])
        /// 201 and the formula's value is null (the formula failed within its limits).
        case formulaNull
        /// 422: the validation failed to run (problem `script_error`, or an `errors` entry with code `script_error`).
        case validationScriptError
        /// PUT answers 422 `script_error` naming the script (`detail` contains one of these) and nothing is saved.
        case putRejected([String])
        /// PUT answers 201 or 422 `script_error`, quickly either way.
        case putAcceptedOrRejected
    }

    let name: String
    let kind: Kind
    let lua: String
    let expect: Expect

    static func onSave(_ name: String, _ lua: String, _ expect: Expect) -> LuaAttack {
        LuaAttack(name: name, kind: .handler, lua: lua, expect: expect)
    }

    static func chunk(_ name: String, _ lua: String, _ expect: Expect) -> LuaAttack {
        LuaAttack(name: name, kind: .topLevel, lua: lua, expect: expect)
    }

    static func formula(_ name: String, _ lua: String, _ expect: Expect) -> LuaAttack {
        LuaAttack(name: name, kind: .formula, lua: lua, expect: expect)
    }

    static func validation(_ name: String, _ lua: String, _ expect: Expect) -> LuaAttack {
        LuaAttack(name: name, kind: .validation, lua: lua, expect: expect)
    }

    var expectation: String {
        switch expect {
        case .scriptError: return "422 script_error"
        case .created: return "201"
        case .createdOrScriptError: return "201 or 422"
        case .formulaNull: return "201, formula null"
        case .validationScriptError: return "422 validation"
        case .putRejected: return "PUT 422"
        case .putAcceptedOrRejected: return "PUT 201 or 422"
        }
    }
}

/// The end-to-end proof of LUA.md's "Limits", "Fairness" and "Sandbox": every piece of Lua a
/// tenant supplies — handlers, top-level chunks, custom-field expressions, and whatever they
/// leave behind — ends within its limits, and nothing it does reaches another tenant.
@Suite struct LuaIsolationTests {
    /// This suite's own server (default limits): an attack that wedges it harms no other suite.
    static let server = SharedServer(environment: [:])

    func session() async throws -> Session { try await Session.register(on: try await Self.server.server()) }

    static func put(_ s: Session, _ name: String, _ source: String) async throws -> HTTP.Response {
        try await s.send(.PUT, "/scripts/\(name)", ["source": .string(source)])
    }

    // MARK: - Hang detection

    /// What a request came to within its client-side deadline.
    enum Answer: Sendable {
        case response(HTTP.Response)
        case hung
        case failed(String)

        var response: HTTP.Response? {
            if case .response(let response) = self { return response }
            return nil
        }

        var summary: String {
            switch self {
            case .response(let response):
                let code = response.json?["code"]?.stringValue.map { " \($0)" } ?? ""
                let detail = response.json?["detail"]?.stringValue.map { ": \($0.prefix(70))" } ?? ""
                return "\(response.status)\(code)\(detail)"
            case .hung: return "NO ANSWER (hang)"
            case .failed(let error): return "failed: \(error.prefix(80))"
            }
        }
    }

    /// Runs `call`, giving up after `limit` (the hang detector); also returns the time taken.
    static func within(_ limit: Duration, _ call: @escaping @Sendable () async throws -> HTTP.Response) async -> (Answer, Double) {
        let clock = ContinuousClock()
        let started = clock.now
        let answer = await withTaskGroup(of: Answer?.self, returning: Answer.self) { group in
            group.addTask {
                do { return .response(try await call()) } catch { return .failed("\(error)") }
            }
            group.addTask {
                do { try await Task.sleep(for: limit) } catch { return nil }
                return .hung
            }
            var first: Answer = .hung
            for await result in group {
                if let result {
                    first = result
                    break
                }
            }
            group.cancelAll()
            return first
        }
        return (answer, milliseconds(clock.now - started))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
    }

    /// Registers `count` tenants, a few at a time.
    static func register(_ count: Int, on server: ServerProcess) async throws -> [Session] {
        try await withThrowingTaskGroup(of: (Int, Session).self, returning: [Session].self) { group in
            var sessions = [Session?](repeating: nil, count: count)
            var next = 0
            while next < min(4, count) {
                let index = next
                group.addTask {
                    let session = try await Session.register(on: server, name: "Attacker \(index)")
                    return (index, session)
                }
                next += 1
            }
            while let done = try await group.next() {
                sessions[done.0] = done.1
                if next < count {
                    let index = next
                    group.addTask {
                        let session = try await Session.register(on: server, name: "Attacker \(index)")
                        return (index, session)
                    }
                    next += 1
                }
            }
            return sessions.compactMap { $0 }
        }
    }

    // MARK: - Probes

    /// Runs for every request that is not the attack: rejects the write when anything the
    /// attack did is still visible in this run (decoded arrays, string library, globals, JSON).
    static let probeLua = #"""
        local function probe(event, crm)
          local problems = {}
          local tags = event.record.tags
          if type(tags) ~= "table" or rawlen(tags) ~= 1 or #tags ~= 1 or tags[1] ~= "vip" or tags[2] ~= nil then
            problems[#problems + 1] = "decoded arrays tampered"
          end
          if ("x"):upper() ~= "X" or string.upper("x") ~= "X" or ("ab"):rep(2) ~= "abab" then
            problems[#problems + 1] = "string library tampered"
          end
          if rawget(_G, "leaked") ~= nil or leaked2 ~= nil or leaked3 ~= nil or type(table.concat) ~= "function" then
            problems[#problems + 1] = "globals leaked"
          end
          if crm.json.encode(crm.json.decode("[]")) ~= "[]" or crm.json.encode(crm.json.decode("[1,2]")) ~= "[1,2]" then
            problems[#problems + 1] = "JSON arrays tampered"
          end
          if #problems > 0 then event:reject("firstName", table.concat(problems, ", ")) end
        end
        """#

    /// A script whose `contacts.beforeSave` runs `body` for the attack request and the probe otherwise.
    static func handlerScript(_ body: String) -> String {
        """
        \(probeLua)
        return { on = { ["contacts.beforeSave"] = function(event, crm)
          if event.record.firstName ~= "attack" then return probe(event, crm) end
        \(body)
        end } }
        """
    }

    /// The witness tenant's formula: "clean" unless something of another tenant's expression
    /// is visible in the state that evaluates it.
    static let healthFormula = #"""
        (function()
          local tags = record.tags
          if type(tags) ~= "table" or rawlen(tags) ~= 1 or #tags ~= 1 or tags[1] ~= "vip" or tags[2] ~= nil then return "tampered: arrays" end
          if ("x"):upper() ~= "X" or string.upper("x") ~= "X" then return "tampered: strings" end
          if rawget(_G, "leaked") ~= nil or leaked2 ~= nil then return "tampered: globals" end
          return "clean"
        end)()
        """#

    // MARK: - The attacks

    static let attacks: [LuaAttack] = [
        // Loops, and protected calls that try to swallow the limit.
        .onSave("infinite-loop", "while true do end", .scriptError(loopLimits)),
        .onSave("pcall-swallows-loops", "while true do pcall(function() while true do end end) end", .scriptError(loopLimits)),
        .onSave("pcall-swallow-once", #"local ok, err = pcall(function() while true do end end) event.record.lastName = "survived " .. tostring(err)"#,
                .scriptError(loopLimits)),
        .onSave("xpcall-handler-loops", #"xpcall(function() error("first") end, function() while true do end end) event.record.lastName = "survived""#,
                .scriptError(loopLimits + ["error in error handling"])),
        .onSave("xpcall-swallows-loops", "while true do xpcall(function() while true do end end, function(e) return e end) end",
                .scriptError(loopLimits)),
        .onSave("error-object-tostring-loops", "error(setmetatable({}, { __tostring = function() while true do end end }))", .scriptError([])),
        .onSave("tostring-loops", "local t = setmetatable({}, { __tostring = function() while true do end end }) event.record.lastName = tostring(t)",
                .scriptError(loopLimits)),
        .onSave("format-s-loops", #"event.record.lastName = string.format("%s", setmetatable({}, { __tostring = function() while true do end end }))"#,
                .scriptError(loopLimits)),
        .onSave("sort-comparator-loops", "local t = {} for i = 1, 100 do t[i] = 101 - i end table.sort(t, function(a, b) while true do end end)",
                .scriptError(loopLimits)),
        .onSave("deep-recursion", "local function f(n) return 1 + f(n + 1) end event.record.lastName = tostring(f(1))",
                .scriptError(anyLimit + ["stack overflow"])),
        .onSave("nested-pcall-then-loop", "local function f() return pcall(f) end f() while true do end",
                .scriptError(loopLimits + ["stack overflow"])),

        // Coroutines.
        .onSave("coroutine-wrap-loop", "local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end",
                .scriptError(loopLimits)),
        .onSave("coroutine-resume-swallow",
                #"local ok, err = coroutine.resume(coroutine.create(function() while true do end end)) event.record.lastName = "survived " .. tostring(err)"#,
                .scriptError(loopLimits)),
        .onSave("coroutine-resume-loop", "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
                .scriptError(loopLimits)),
        .onSave("coroutine-wrap-pcall-swallow", #"local ok = pcall(coroutine.wrap(function() while true do end end)) event.record.lastName = "survived""#,
                .scriptError(loopLimits)),
        .onSave("coroutine-close-runs-looping-close", #"""
            local co = coroutine.create(function()
              local guard <close> = setmetatable({}, { __close = function() while true do end end })
              coroutine.yield()
            end)
            coroutine.resume(co)
            local ok, err = coroutine.close(co)
            event.record.lastName = "survived " .. tostring(err)
            """#, .scriptError(loopLimits)),

        // To-be-closed variables whose __close loops.
        .onSave("close-loops-on-normal-exit", "do local guard <close> = setmetatable({}, { __close = function() while true do end end }) end",
                .scriptError(loopLimits)),
        // The handler's own coroutine dies of the error and is dropped unclosed: the __close
        // never runs, and the answer is the script's error.
        .onSave("close-loops-during-error", #"local guard <close> = setmetatable({}, { __close = function() while true do end end }) error("boom")"#,
                .scriptError(loopLimits + ["boom"])),
        .onSave("close-loops-inside-pcall",
                #"pcall(function() local guard <close> = setmetatable({}, { __close = function() while true do end end }) error("boom") end) event.record.lastName = "survived""#,
                .scriptError(loopLimits)),

        // Finalizers are refused.
        .onSave("gc-finalizer", "setmetatable({}, { __gc = function() while true do end end })", .scriptError(["__gc"])),
        .onSave("gc-weak-table", #"local cache = setmetatable({}, { __mode = "k", __gc = function() while true do end end }) cache[{}] = true"#,
                .scriptError(["__gc"])),
        .onSave("gc-false-then-swapped", "local mt = { __gc = false } local t = setmetatable({}, mt) mt.__gc = function() while true do end end t = nil",
                .scriptError(["__gc"])),
        .onSave("gc-inside-coroutine", "coroutine.wrap(function() setmetatable({}, { __gc = function() while true do end end }) end)()",
                .scriptError(["__gc"])),

        // Pattern searches count against the time limit; plain find is linear.
        .onSave("find-lazy-quantifier-bomb", #"event.record.lastName = tostring(string.rep("a", 200000):find(".-b"))"#, .scriptError(patternLimits)),
        .onSave("find-three-quantifiers", #"event.record.lastName = tostring(string.rep("a", 30000):find("a*a*a*b"))"#, .scriptError(patternLimits)),
        .onSave("match-two-quantifiers", #"event.record.lastName = tostring(string.rep("a", 50000):match("(.*)(.*)x"))"#, .scriptError(patternLimits)),
        .onSave("match-exponential-optionals",
                #"local n = 40 event.record.lastName = tostring(string.rep("a", n):match(string.rep("a?", n) .. string.rep("a", n) .. "b"))"#,
                .scriptError(patternLimits)),
        .onSave("gmatch-bomb", #"local n = 0 for m in string.rep("a", 100000):gmatch(".-b") do n = n + 1 end event.record.lastName = tostring(n)"#,
                .scriptError(patternLimits)),
        .onSave("gsub-bomb", #"local s, n = string.rep("a", 100000):gsub(".-b", "") event.record.lastName = tostring(n)"#, .scriptError(patternLimits)),
        .onSave("gsub-callback-loops", #"local s = ("abc"):gsub("%w", function() while true do end end)"#, .scriptError(loopLimits)),
        .onSave("plain-find-long-needle",
                #"local hay = string.rep("a", 4000000) local needle = string.rep("a", 250000) .. "b" assert(hay:find(needle, 1, true) == nil) event.record.lastName = "not found""#,
                // Linear: found absent in milliseconds, or (a busy machine, 4 MB of strings
                // built at the Lua threads' low priority) the time limit.
                .createdOrScriptError(["time limit exceeded"])),
        .onSave("literal-find-long-needle",
                #"local hay = string.rep("a", 4000000) local needle = string.rep("a", 250000) .. "b" assert(hay:find(needle) == nil) event.record.lastName = "not found""#,
                .createdOrScriptError(patternLimits)),

        // Memory.
        .onSave("string-rep-bomb", #"local s = string.rep("x", 1 << 30) event.record.lastName = tostring(#s)"#, .scriptError(memoryLimits + ["too large"])),
        .onSave("string-rep-separator-bomb", #"local s = string.rep("x", 10000000, string.rep("y", 100)) event.record.lastName = tostring(#s)"#,
                .scriptError(memoryLimits + ["too large"])),
        .onSave("table-concat-bomb",
                #"local chunk = string.rep("x", 1 << 20) local parts = {} for i = 1, 64 do parts[i] = chunk end event.record.lastName = tostring(#table.concat(parts))"#,
                .scriptError(memoryLimits)),
        .onSave("utf8-char-bomb",
                "local cps = {} for i = 1, 100000 do cps[i] = 0x10FFFF end local parts = {} while true do parts[#parts + 1] = utf8.char(table.unpack(cps)) .. #parts end",
                .scriptError(anyLimit)),
        .onSave("growing-table-of-strings", #"local t = {} while true do t[#t + 1] = string.rep("y", 100000) .. #t end"#, .scriptError(anyLimit)),
        .onSave("growing-array", "local t = {} for i = 1, 1e9 do t[i] = i end", .scriptError(anyLimit)),

        // C loops that would run unbounded.
        .onSave("table-move-huge", "table.move({}, 1, 1e14, 2)", .scriptError([])),
        .onSave("table-insert-huge-len", #"local t = setmetatable({}, { __len = function() return 100000000000000 end }) table.insert(t, 1, "x")"#,
                .scriptError([])),
        .onSave("table-remove-huge-len", "local t = setmetatable({}, { __len = function() return 100000000000000 end }) table.remove(t, 1)",
                .scriptError([])),
        .onSave("string-rep-empty-huge", #"local s = string.rep("", 1e15) assert(s == "") event.record.lastName = "empty" .. s"#, .created),
        .onSave("string-rep-empty-separator-huge", #"local s = string.rep("", 1e15, "") assert(s == "") event.record.lastName = "empty" .. s"#, .created),

        // load.
        .onSave("load-env-loop", #"local f = load("while true do end", "=inner", "t", {}) f()"#, .scriptError(loopLimits)),
        .onSave("load-env-index-loops",
                #"local env = setmetatable({}, { __index = function() while true do end end }) local f = load("return anything", "=inner", "t", env) event.record.lastName = tostring(f())"#,
                .scriptError(loopLimits)),
        .onSave("load-oversized-chunk",
                #"local f, err = load("return 1" .. string.rep(" ", 300 * 1024)) if f == nil then error("refused: " .. tostring(err)) end event.record.lastName = "loaded " .. tostring(f())"#,
                .scriptError([])),
        .onSave("load-reader-function-loops", "local f = load(function() while true do end end) if f then f() end", .scriptError([])),

        // Metatables of decoded JSON arrays.
        .onSave("json-array-metatable-tamper",
                #"local mt = getmetatable(event.record.tags) mt.__index = function() return "pwned" end mt.__len = function() return 99 end mt.__name = "not-an-array""#,
                .createdOrScriptError([])),
        .onSave("json-array-rawset-metatable", "rawset(getmetatable(event.record.tags), \"__len\", function() return 99 end)", .createdOrScriptError([])),
        .onSave("json-array-setmetatable", #"setmetatable(event.record.tags, { __index = function() return "pwned" end })"#, .scriptError([])),
        .onSave("json-decode-metatable-tamper",
                #"local t = crm.json.decode("[]") local mt = getmetatable(t) if type(mt) == "table" then mt.__newindex = function() error("pwned") end mt.__name = nil end setmetatable(t, {})"#,
                .scriptError([])),

        // Globals and the shared string metatable.
        .onSave("globals-and-libraries",
                #"rawset(_G, "leaked", "yes") leaked2 = "yes" _ENV.leaked3 = "yes" string.upper = function() return "pwned" end table.concat = nil"#,
                .created),
        .onSave("string-metatable-index-tamper",
                #"local mt = getmetatable("") if type(mt.__index) == "table" then mt.__index.upper = function() return "pwned" end end mt.__index = function() return function() return "pwned" end end"#,
                .createdOrScriptError([])),

        // Top-level chunks on PUT.
        .chunk("top-level-loop", "while true do end return { on = {} }", .putRejected(loopLimits)),
        .chunk("top-level-gc", #"setmetatable({}, { __gc = function() while true do end end }) return { on = { ["contacts.beforeSave"] = function() end } }"#,
               .putRejected(["__gc"])),
        .chunk("top-level-coroutine-swallow",
               "local ok, err = coroutine.resume(coroutine.create(function() while true do end end)) return { on = {}, description = tostring(err) }",
               .putRejected(loopLimits)),
        .chunk("top-level-close-loops", "do local guard <close> = setmetatable({}, { __close = function() while true do end end }) end return { on = {} }",
               .putRejected(loopLimits)),
        .chunk("top-level-pattern-bomb", #"local hit = string.rep("a", 200000):find(".-b") return { on = {}, description = tostring(hit) }"#,
               .putRejected(patternLimits)),
        .chunk("top-level-memory-bomb", #"local t = {} while true do t[#t + 1] = string.rep("y", 100000) .. #t end"#, .putRejected(anyLimit)),
        .chunk("top-level-index-metamethod-loops",
               #"return setmetatable({ on = { ["contacts.beforeSave"] = function() end } }, { __index = function() while true do end end })"#,
               .putAcceptedOrRejected),

        // Custom-field expressions.
        .formula("formula-loops", "(function() while true do end end)()", .formulaNull),
        .formula("formula-json-metatable-tamper",
                 #"(function() local mt = getmetatable(record.tags) if type(mt) == "table" then mt.__index = function() return "pwned" end mt.__len = function() return 99 end end return 1 end)()"#,
                 .created),
        .formula("formula-globals-and-libraries",
                 #"(function() rawset(_G, "leaked", "yes") leaked2 = "yes" string.upper = function() return "pwned" end return 1 end)()"#,
                 .created),
        .formula("formula-gc", "setmetatable({}, { __gc = function() while true do end end }) and 1", .formulaNull),
        .formula("formula-pattern-bomb", #"(string.rep("a", 200000):find(".-b")) or 1"#, .formulaNull),
        .formula("formula-close-loops", "(function() local guard <close> = setmetatable({}, { __close = function() while true do end end }) return 1 end)()",
                 .formulaNull),
        .formula("formula-coroutine-swallow", "(function() coroutine.resume(coroutine.create(function() while true do end end)) return 1 end)()",
                 .formulaNull),
        .validation("validation-loops", "(function() while true do end end)()", .validationScriptError),
        .validation("validation-memory-bomb", "#string.rep('x', 1 << 30) > 0", .validationScriptError),
    ]

    struct Row: Sendable {
        let attack: LuaAttack
        let answer: String
        let milliseconds: Double
        let failures: [String]
    }

    /// Every attack on its own tenant, in turn; after each, the same tenant's next write and
    /// another tenant's write and read still work and see nothing of the attack.
    @Test func everyAttackEndsWithinItsLimitsAndIsolated() async throws {
        #expect(Self.attacks.count >= 30)
        #expect(Set(Self.attacks.map(\.name)).count == Self.attacks.count, "attack names are unique")
        let server = try await Self.server.server()

        // The witness: another tenant with a probing script and a probing formula.
        let witness = try await Session.register(on: server, name: "Witness")
        let probe = try await Self.put(witness, "probe", Self.handlerScript(#"error("the witness never attacks")"#))
        try #require(probe.status == 201, "witness script: \(probe.text)")
        let health = try await witness.send(.POST, "/custom-fields", [
            "entity": "contacts", "key": "health", "type": "text", "formula": .string(Self.healthFormula),
        ])
        try #require(health.status == 201, "witness formula: \(health.text)")
        let baseline = try await witness.send(.POST, "/contacts", ["firstName": "probe", "tags": ["vip"]])
        try #require(baseline.status == 201, "witness baseline: \(baseline.text)")
        try #require(baseline.json?["custom"]?["health"] == "clean", "witness baseline: \(baseline.text)")

        let sessions = try await Self.register(Self.attacks.count, on: server)
        try #require(sessions.count == Self.attacks.count)

        var rows: [Row] = []
        for (attack, tenant) in zip(Self.attacks, sessions) {
            let (row, serving) = await Self.perform(attack, as: tenant, witness: witness)
            rows.append(row)
            for failure in row.failures { Issue.record("\(attack.name): \(failure)") }
            if !serving {
                Issue.record("the server stopped serving other tenants after \(attack.name); the remaining attacks were not run")
                break
            }
        }

        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        var lines: [String] = []
        lines.append("")
        lines.append("LuaIsolationTests: \(rows.count) of \(Self.attacks.count) attacks run; duration of each attack request (client-side, ms)")
        lines.append("\(pad("attack", 36))\(pad("kind", 11))\(pad("expected", 19))\(pad("      ms", 10))ok   answer")
        for row in rows {
            let milliseconds = String(format: "%8.1f", row.milliseconds)
            let ok = row.failures.isEmpty ? "yes" : "NO"
            let kind = row.attack.kind.rawValue
            lines.append("\(pad(row.attack.name, 36))\(pad(kind, 11))\(pad(row.attack.expectation, 19))\(pad(milliseconds, 10))\(pad(ok, 5))\(row.answer)")
        }
        print(lines.joined(separator: "\n"))
    }

    /// One attack: set it up on `tenant`, fire it with a hang detector, check its answer, then
    /// probe the same tenant and the witness. Returns whether the server still serves the witness.
    static func perform(_ attack: LuaAttack, as tenant: Session, witness: Session) async -> (Row, Bool) {
        var failures: [String] = []
        let deadline = Duration.seconds(5)
        var answer: Answer = .hung
        var took = 0.0
        do {
            // Set-up.
            switch attack.kind {
            case .handler:
                let saved = try await Self.put(tenant, "attack", Self.handlerScript(attack.lua))
                if saved.status != 201 { failures.append("set-up PUT answered \(saved.status): \(saved.text.prefix(300))") }
            case .formula:
                let defined = try await tenant.send(.POST, "/custom-fields", [
                    "entity": "contacts", "key": "attack", "type": "number", "formula": .string(attack.lua),
                ])
                if defined.status != 201 { failures.append("set-up custom field answered \(defined.status): \(defined.text.prefix(300))") }
            case .validation:
                let defined = try await tenant.send(.POST, "/custom-fields", [
                    "entity": "contacts", "key": "attack", "type": "number",
                    "validation": ["expression": .string(attack.lua), "message": "rejected by the attack"],
                ])
                if defined.status != 201 { failures.append("set-up custom field answered \(defined.status): \(defined.text.prefix(300))") }
            case .topLevel:
                break
            }

            // The attack.
            let source = attack.lua
            switch attack.kind {
            case .topLevel:
                (answer, took) = await Self.within(deadline) { try await Self.put(tenant, "attack", source) }
            case .validation:
                (answer, took) = await Self.within(deadline) {
                    try await tenant.send(.POST, "/contacts", ["firstName": "attack", "tags": ["vip"], "custom": ["attack": 1]])
                }
            case .handler, .formula:
                (answer, took) = await Self.within(deadline) {
                    try await tenant.send(.POST, "/contacts", ["firstName": "attack", "tags": ["vip"]])
                }
            }

            if let response = answer.response {
                failures += try await Self.verify(attack, response, tenant: tenant)
            } else {
                failures.append("no answer within \(deadline): \(answer.summary)")
            }

            // The same tenant's next write runs in a state the attack may have used.
            let (next, _) = await Self.within(.seconds(10)) {
                try await tenant.send(.POST, "/contacts", ["firstName": "probe", "tags": ["vip"]])
            }
            if next.response?.status != 201 {
                failures.append("the same tenant's next write: \(next.summary) \(next.response?.text.prefix(300) ?? "")")
            }
        } catch {
            failures.append("\(error)")
        }

        // Another tenant: a write (its script and formula probe their states) and a read.
        var serving = false
        let (written, _) = await Self.within(.seconds(10)) {
            try await witness.send(.POST, "/contacts", ["firstName": "probe", "tags": ["vip"]])
        }
        if let response = written.response, response.status == 201 {
            serving = true
            if response.json?["custom"]?["health"] != "clean" {
                failures.append("another tenant's formula sees the attack: custom.health = \(response.json?["custom"]?["health"]?.serialized() ?? "absent")")
            }
            let id = response.json?["id"]?.stringValue ?? ""
            let (read, _) = await Self.within(.seconds(10)) { try await witness.get("/contacts/\(id)") }
            if read.response?.status != 200 { failures.append("another tenant's read: \(read.summary)") }
        } else {
            failures.append("another tenant's write: \(written.summary) \(written.response?.text.prefix(300) ?? "")")
            serving = written.response != nil
        }
        let row = Row(attack: attack, answer: answer.summary, milliseconds: took, failures: failures)
        return (row, serving)
    }

    /// The attack request's answer against the attack's expectation; the failures found.
    static func verify(_ attack: LuaAttack, _ response: HTTP.Response, tenant: Session) async throws -> [String] {
        var failures: [String] = []
        let json = response.json
        let code = json?["code"]?.stringValue
        let detail = json?["detail"]?.stringValue ?? ""
        let shown = "\(response.status) \(response.text.prefix(300))"
        func scriptError(_ texts: [String]) {
            if response.status != 422 || code != "script_error" {
                failures.append("expected 422 script_error, got \(shown)")
                return
            }
            if json?["script"] != "attack" { failures.append("the problem does not name the script: \(shown)") }
            if !texts.isEmpty, !texts.contains(where: { detail.contains($0) }) {
                failures.append("detail mentions none of \(texts): \(detail)")
            }
        }
        switch attack.expect {
        case .scriptError(let texts):
            scriptError(texts)
        case .created:
            if response.status != 201 { failures.append("expected 201, got \(shown)") }
        case .createdOrScriptError(let texts):
            if response.status != 201 { scriptError(texts) }
        case .formulaNull:
            if response.status != 201 {
                failures.append("expected 201, got \(shown)")
            } else if !(json?["custom"]?["attack"]?.isNull ?? true) {
                failures.append("the formula produced a value: \(json?["custom"]?["attack"]?.serialized() ?? "")")
            }
        case .validationScriptError:
            let entries = json?["errors"]?.arrayValue ?? []
            let failedToRun = entries.contains { $0["code"] == "script_error" }
            if response.status != 422 || !(code == "script_error" || failedToRun) {
                failures.append("expected 422 with a script error, got \(shown)")
            }
        case .putRejected(let texts):
            scriptError(texts)
            let saved = try await tenant.get("/scripts/attack")
            if saved.status != 404 { failures.append("the rejected script was saved: GET answered \(saved.status)") }
        case .putAcceptedOrRejected:
            if response.status != 201 && response.status != 200 { scriptError([]) }
        }
        return failures
    }

    // MARK: - Quotas

    @Test func aTenantHasAtMostOneHundredScripts() async throws {
        let s = try await session()
        let source = "return { on = {} }"
        for index in 1...100 {
            let saved = try await Self.put(s, "s-\(index)", source)
            if saved.status != 201 {
                Issue.record("script \(index) of 100: \(saved.status) \(saved.text)")
                return
            }
        }
        let extra = try await Self.put(s, "s-101", source)
        #expect(extra.status == 422, "the 101st script: \(extra.status) \(extra.text)")
        #expect(try await s.get("/scripts/s-101").status == 404)
        #expect(try await s.get("/scripts").json?["data"]?.arrayValue?.count == 100)
        // Replacing one at the cap is no new script; deleting one makes room.
        #expect(try await Self.put(s, "s-1", "return { description = 'v2' }").status == 200)
        #expect(try await s.send(.DELETE, "/scripts/s-2").status == 204)
        #expect(try await Self.put(s, "s-101", source).status == 201)
        // The cap is per tenant.
        let other = try await session()
        #expect(try await Self.put(other, "s-1", source).status == 201)
    }

    @Test func aScriptIsAtMost256KiB() async throws {
        let s = try await session()
        let head = "return { on = {} }\n-- "
        let atLimit = head + String(repeating: "x", count: 256 * 1024 - head.utf8.count)
        #expect(atLimit.utf8.count == 256 * 1024)
        let accepted = try await Self.put(s, "at-limit", atLimit)
        #expect(accepted.status == 201, "exactly 256 KiB: \(accepted.status) \(accepted.text.prefix(300))")
        let over = try await Self.put(s, "over-limit", atLimit + "x")
        #expect(over.status == 422, "256 KiB + 1 byte: \(over.status) \(over.text.prefix(300))")
        #expect(try await s.get("/scripts/over-limit").status == 404)
    }

    @Test func pendingWorkflowJobsHaveAQuotaPerTenant() async throws {
        let database = try await TestDatabase.create()
        // After-handlers spin to their 1.5 s time limit (the instruction cap raised so time bites
        // first) and are retried, so the first jobs stay pending or running throughout.
        let server = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: [
            "WORKFLOW_MAX_PENDING_JOBS": "3", "LUA_AFTER_TIME_MS": "1500", "LUA_AFTER_INSTRUCTIONS": "10000000000",
        ])
        try await server.waitUntilReady()
        let s = try await Session.register(on: server)
        let spin = try await Self.put(s, "spin", "return { on = { ['contacts.afterCreate'] = function(event, crm) while true do end end } }")
        try #require(spin.status == 201, "\(spin.text)")
        var statuses: [Int] = []
        for index in 0..<10 {
            statuses.append(try await s.send(.POST, "/contacts", ["firstName": .string("c\(index)")]).status)
        }
        #expect(statuses == Array(repeating: 201, count: 10), "every write succeeds, quota or not")

        var quotaFailures: [JSONValue] = []
        for _ in 0..<50 where quotaFailures.isEmpty {
            let failed = try await s.get("/workflow-jobs?status=failed&limit=100").json?["data"]?.arrayValue ?? []
            quotaFailures = failed.filter { $0["lastError"]?.stringValue?.contains("quota exceeded") == true }
            if quotaFailures.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(!quotaFailures.isEmpty, "a job over the quota is failed with 'quota exceeded'")
        let all = try await s.get("/workflow-jobs?limit=100").json?["data"]?.arrayValue ?? []
        #expect(all.count == 10, "every write stored its job: \(all.count)")
        let queued = all.filter { $0["status"] == "pending" || $0["status"] == "running" }
        #expect(queued.count <= 3, "at most WORKFLOW_MAX_PENDING_JOBS queued: \(queued.count)")
        print("LuaIsolationTests: pending-job quota 3: \(quotaFailures.count) of 10 jobs failed with 'quota exceeded', \(queued.count) queued")

        // The quota is this tenant's: another one still queues its job.
        let other = try await Session.register(on: server)
        #expect(try await Self.put(other, "noop", "return { on = { ['contacts.afterCreate'] = function() end } }").status == 201)
        #expect(try await other.send(.POST, "/contacts", ["firstName": "o"]).status == 201)
        let otherJobs = try await other.get("/workflow-jobs").json?["data"]?.arrayValue ?? []
        #expect(otherJobs.count == 1)
        #expect(otherJobs.allSatisfy { $0["lastError"]?.stringValue?.contains("quota exceeded") != true })
        try await server.stop()
    }

    // MARK: - Fairness

    @Test func theOutboxServesTenantsInTurn() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: [
            "LUA_AFTER_TIME_MS": "1000", "LUA_AFTER_INSTRUCTIONS": "10000000000", "WORKFLOW_RETRY_BASE_MS": "50",
        ])
        try await server.waitUntilReady()
        let a = try await Session.register(on: server, name: "Busy")
        let b = try await Session.register(on: server, name: "Quiet")

        // A: 20 jobs of 1 s each (and their retries): a 20 s backlog if served first come, first served.
        let spin = try await Self.put(a, "spin", "return { on = { ['contacts.afterCreate'] = function(event, crm) while true do end end } }")
        try #require(spin.status == 201, "\(spin.text)")
        for index in 0..<20 {
            #expect(try await a.send(.POST, "/contacts", ["firstName": .string("a\(index)")]).status == 201)
        }

        let followUp = try await Self.put(b, "follow-up", """
            return { on = { ["contacts.afterCreate"] = function(event, crm)
              crm.create("activities", { type = "note", subject = "Welcome " .. (event.record.firstName or ""), contactId = event.record.id })
            end } }
            """)
        try #require(followUp.status == 201, "\(followUp.text)")
        let contact = try await b.send(.POST, "/contacts", ["firstName": "Bea"])
        try #require(contact.status == 201)
        let id = try #require(contact.json?["id"]?.stringValue)
        let clock = ContinuousClock()
        let started = clock.now
        var found = false
        while !found && clock.now - started < .seconds(8) {
            let activities = try await b.get("/activities?filter[contactId]=\(id)").json?["data"]?.arrayValue ?? []
            found = activities.contains { $0["subject"] == "Welcome Bea" }
            if !found { try await Task.sleep(for: .milliseconds(100)) }
        }
        let waited = Self.milliseconds(clock.now - started)
        #expect(found, "tenant B's workflow did not run within 8 s behind tenant A's backlog")
        let pendingA = try await a.get("/workflow-jobs?status=pending&limit=100").json?["data"]?.arrayValue?.count ?? 0
        let runningA = try await a.get("/workflow-jobs?status=running&limit=100").json?["data"]?.arrayValue?.count ?? 0
        let backlog = pendingA + runningA
        print("LuaIsolationTests: outbox fairness: B's activity \(found ? "appeared" : "did NOT appear") after \(Int(waited)) ms; A still had \(backlog) jobs queued")
        try await server.stop()
    }

    // MARK: - Shutdown

    @Test func sigtermEndsTheProcessWhateverScriptsAreDoing() async throws {
        let database = try await TestDatabase.create()
        let server = try await ServerProcess.serve(databaseURL: database.appURLString, extraEnvironment: [
            "LUA_BEFORE_TIME_MS": "60000", "LUA_BEFORE_INSTRUCTIONS": "1000000000",
            "LUA_AFTER_TIME_MS": "600000", "LUA_AFTER_INSTRUCTIONS": "10000000000",
            "SHUTDOWN_TIMEOUT_SECONDS": "3",
        ])
        try await server.waitUntilReady()
        // `while true do end` alone would reach the 10^9 instruction cap in a few seconds; each
        // turn of this loop scans 1 MiB in C, so only the 60 s time limit would end it.
        let spin = "local hay = string.rep('a', 1 << 20) while true do hay:find('b', 1, true) end"

        // An after-handler spinning on the workflow worker...
        let worker = try await Session.register(on: server, name: "Worker")
        #expect(try await Self.put(worker, "spin-after", "return { on = { ['contacts.afterCreate'] = function(event, crm) \(spin) end } }").status == 201)
        #expect(try await worker.send(.POST, "/contacts", ["firstName": "w"]).status == 201)
        var running = false
        for _ in 0..<50 where !running {
            let jobs = try await worker.get("/workflow-jobs?status=running").json?["data"]?.arrayValue ?? []
            running = !jobs.isEmpty
            if !running { try await Task.sleep(for: .milliseconds(100)) }
        }
        if !running { print("LuaIsolationTests: sigterm: the after-handler job was not seen running before SIGTERM") }

        // ...and a before-handler spinning inside a request that is never awaited.
        let requester = try await Session.register(on: server, name: "Requester")
        #expect(try await Self.put(requester, "spin-before", "return { on = { ['contacts.beforeSave'] = function(event, crm) \(spin) end } }").status == 201)
        let inFlight = Task { try? await requester.send(.POST, "/contacts", ["firstName": "spin"]) }
        try await Task.sleep(for: .milliseconds(500))

        let clock = ContinuousClock()
        let signalled = clock.now
        server.signal(SIGTERM)
        do {
            let status = try await server.waitForExit(timeout: .seconds(10))
            print("LuaIsolationTests: sigterm: exited with status \(status) \(Int(Self.milliseconds(clock.now - signalled))) ms after SIGTERM (SHUTDOWN_TIMEOUT_SECONDS=3)")
        } catch {
            Issue.record("crm did not exit within 10 s of SIGTERM with SHUTDOWN_TIMEOUT_SECONDS=3; its log ends:\n\(server.output.suffix(2000))")
        }
        inFlight.cancel()
    }
}
