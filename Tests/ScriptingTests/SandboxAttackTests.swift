import Foundation
import Kernel
import Testing

@testable import Scripting

/// The attacks of the Lua runtime issue: each ends as a clean script error within its limits,
/// the state stays usable, and its memory returns near its baseline.
@Suite struct SandboxAttackTests {
    let limits = ScriptLimits.forHandlerTests(memoryBytes: 8 << 20)

    /// Loads `body` as the handler of `test.beforeSave` and runs it once.
    func run(_ body: String, runtime: LuaRuntime? = nil, name: String = "attack") throws -> (LuaStep, LuaRuntime) {
        try runHandler(body, limits: limits, runtime: runtime, name: name)
    }

    func expectError(_ body: String, containing text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (step, runtime) = try run(body)
        guard case .error(let message) = step else {
            Issue.record("no error for: \(body) → \(step)", sourceLocation: sourceLocation)
            return
        }
        #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
        // Still serves.
        let (after, _) = try run("event.record.ok = true", runtime: runtime, name: "after")
        guard case .done(let output) = after else {
            Issue.record("runtime unusable after: \(body)", sourceLocation: sourceLocation)
            return
        }
        #expect(output.contains("\"ok\":true"), sourceLocation: sourceLocation)
    }

    @Test func dangerousLibrariesAreAbsent() throws {
        try expectError("io.open('/etc/passwd')", containing: "io")
        try expectError("os.execute('id')", containing: "execute")
        try expectError("return os.getenv('HOME')", containing: "getenv")
        try expectError("require('os')", containing: "require")
        try expectError("package.loadlib('libc.so.6', 'system')", containing: "package")
        try expectError("debug.sethook()", containing: "debug")
        try expectError("string.dump(function() end)", containing: "dump")
        try expectError("loadfile('/etc/passwd')", containing: "loadfile")
        try expectError("dofile('/etc/passwd')", containing: "dofile")
        try expectError("collectgarbage('stop')", containing: "collectgarbage")
        try expectError("assert(load(string.char(27) .. 'Lua', 'x', 'b'))", containing: "text chunks")
        try expectError("assert(load(string.char(27) .. 'LuaT\\0'))()", containing: "binary")
    }

    @Test func infiniteLoopsHitTheInstructionLimit() throws {
        try expectError("while true do end", containing: "instruction limit exceeded")
        try expectError("while true do pcall(function() while true do end end) end", containing: "instruction limit exceeded")
        try expectError("local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end",
                        containing: "instruction limit exceeded")
        try expectError("while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
                        containing: "instruction limit exceeded")
    }

    @Test func memoryBombsHitTheMemoryLimit() throws {
        try expectError("local t = {} for i = 1, 1e9 do t[i] = i end", containing: "memory limit exceeded")
        try expectError("local s = string.rep('x', 2^31)", containing: "too large")
        try expectError("local t = {} while true do t[#t + 1] = string.rep('y', 1e5) .. #t end", containing: "memory limit exceeded")
        try expectError("local ok = pcall(string.rep, 'x', 2^30) local t = {} while true do t[#t+1] = {} end", containing: "memory limit exceeded")
        let runtime = try LuaRuntime(memoryLimit: limits.memoryBytes)
        _ = try run("event.record.x = 1", runtime: runtime)
        let baseline = runtime.memoryUsed
        _ = try run("local t = {} for i = 1, 1e9 do t[i] = i end", runtime: runtime)
        #expect(runtime.memoryUsed < baseline + (1 << 20), "memory stays high: \(runtime.memoryUsed) vs \(baseline)")
    }

    @Test func deepRecursionIsAStackOverflow() throws {
        // Whichever comes first in an 8 MiB state: Lua's stack limit or the memory cap.
        let (step, _) = try run("local function f(n) return 1 + f(n + 1) end f(1)")
        guard case .error(let message) = step else { Issue.record("no error"); return }
        #expect(message.contains("stack overflow") || message.contains("memory limit exceeded"), "\(message)")
        try expectError("local function f() return pcall(f) end f() error('deep')", containing: "deep")
    }

    @Test func pathologicalPatternsMeetTheLimits() throws {
        try expectError("string.find(string.rep('a', 100000), '.-.-.-.-.-b')", containing: "limit exceeded")
        try expectError("local s = string.rep('a', 50000) s:match('(.*)(.*)(.*)x')", containing: "limit exceeded")
        try expectError("string.rep('a', 200000):find('.-b')", containing: "limit exceeded")
        try expectError("local n = 0 for _ in string.rep('a', 200000):gmatch('.-b') do n = n + 1 end", containing: "limit exceeded")
        try expectError("string.rep('a', 200000):gsub('.-b', '')", containing: "limit exceeded")
        let (ok, _) = try run("assert(('hello world'):find('o w'))")
        if case .error(let message) = ok { Issue.record("a simple find failed: \(message)") }
    }

    @Test func limitsCannotBeSwallowed() throws {
        try expectError(#"xpcall(function() error("first") end, function() while true do end end) event.record.x = 1"#, containing: "limit exceeded")
        try expectError("local ok, e = coroutine.resume(coroutine.create(function() while true do end end)) event.record.x = e",
                        containing: "instruction limit exceeded")
        try expectError("""
            local co = coroutine.create(function()
              local guard <close> = setmetatable({}, { __close = function() while true do end end })
              coroutine.yield()
            end)
            coroutine.resume(co)
            local ok, e = coroutine.close(co)
            event.record.x = e
            """, containing: "instruction limit exceeded")
    }

    /// A coroutine a limit ended keeps its pending __close handlers, with hooks off (Lua leaves
    /// them off on a thread that died in the hook): a later run must not be able to close it.
    @Test func aCoroutineALimitEndedIsNeverClosed() throws {
        let runtime = try LuaRuntime(memoryLimit: limits.memoryBytes)
        let source = """
            local kept = {}
            return { on = {
              ["test.first"] = function(event)
                kept.co = coroutine.create(function()
                  local guard <close> = setmetatable({}, { __close = function() while true do end end })
                  while true do end
                end)
                coroutine.resume(kept.co)
              end,
              ["test.second"] = function(event)
                event.record.closed = tostring(coroutine.close(kept.co))
              end,
              ["test.wrapped"] = function(event)
                local f = coroutine.wrap(function()
                  local guard <close> = setmetatable({}, { __close = function() while true do end end })
                  while true do end
                end)
                f()
              end,
            } }
            """
        guard case .done = runtime.load(name: "keeper", source: source, limits: limits.before) else {
            Issue.record("does not load")
            return
        }
        for event in ["test.first", "test.wrapped"] {
            let step = runtime.start(name: "keeper", event: event, eventJSON: #"{"record":{}}"#, configJSON: "{}", limits: limits.before)
            runtime.finish()
            guard case .error(let message) = step else { Issue.record("\(event): \(step)"); continue }
            #expect(message.contains("limit exceeded"), "\(message)")
        }
        let second = runtime.start(name: "keeper", event: "test.second", eventJSON: #"{"record":{}}"#, configJSON: "{}", limits: limits.before)
        runtime.finish()
        guard case .done(let output) = second else { Issue.record("\(second)"); return }
        #expect(output.contains(#""closed":"false""#), "\(output)")
    }

    /// A first attempt's allocation cap (LuaSandbox.firstAttempt) stops a C call that would
    /// allocate past it; the same handler runs in full under the phase's own limits.
    @Test func anAllocationCapStopsBigCCalls() throws {
        let runtime = try LuaRuntime(memoryLimit: limits.memoryBytes)
        let source = #"return { on = { ["test.beforeSave"] = function(event) event.record.n = #string.rep("x", 4000000) end } }"#
        guard case .done = runtime.load(name: "big", source: source, limits: limits.before) else {
            Issue.record("does not load")
            return
        }
        var capped = limits.before
        capped.allocationBytes = 1 << 20
        let first = runtime.start(name: "big", event: "test.beforeSave", eventJSON: #"{"record":{}}"#, configJSON: "{}", limits: capped)
        runtime.finish()
        guard case .error(let message) = first else { Issue.record("not capped: \(first)"); return }
        #expect(message.contains("allocation limit exceeded"), "\(message)")
        #expect(LuaSandbox.overran(message))
        let full = runtime.start(name: "big", event: "test.beforeSave", eventJSON: #"{"record":{}}"#, configJSON: "{}", limits: limits.before)
        runtime.finish()
        guard case .done(let output) = full else { Issue.record("\(full)"); return }
        #expect(output.contains(#""n":4000000"#), "\(output)")
    }

    @Test func oddErrorObjectsBecomeMessages() throws {
        try expectError("error({code = 1})", containing: "error object is not a string")
        try expectError("error(setmetatable({}, {__tostring = function() while true do end end}))", containing: "error object is not a string")
        try expectError("xpcall(function() error('a') end, function() error('b') end) error('after')", containing: "after")
    }

    @Test func theStringMetatableIsProtectedAndNothingLeaksBetweenScripts() throws {
        let runtime = try LuaRuntime(memoryLimit: limits.memoryBytes)
        let (meta, _) = try run("event.record.meta = getmetatable('')", runtime: runtime, name: "a")
        guard case .done(let output) = meta else { Issue.record("\(meta)"); return }
        #expect(output.contains("string metatable is protected"))
        try expectError("setmetatable('', {})", containing: "setmetatable")
        // Script a tampers with its copies of the libraries and its globals.
        _ = try run("string.upper = function() return 'pwned' end; _G.secret = 'x'; _ENV.leak = 1; rawset(_G, 'x', 1)", runtime: runtime, name: "b")
        let (check, _) = try run(
            "event.record.upper = ('a'):upper(); event.record.upper2 = string.upper('a'); event.record.secret = secret; event.record.leak = leak",
            runtime: runtime, name: "c")
        guard case .done(let result) = check else { Issue.record("\(check)"); return }
        #expect(result.contains(#""upper":"A""#))
        #expect(result.contains(#""upper2":"A""#))
        #expect(!result.contains("secret"))
        #expect(!result.contains("leak"))
        // The same script's globals do not persist across calls either.
        _ = try run("counter = (counter or 0) + 1 event.record.counter = counter", runtime: runtime, name: "d")
        let (second, _) = try run("counter = (counter or 0) + 1 event.record.counter = counter", runtime: runtime, name: "d")
        if case .done(let output) = second { #expect(output.contains(#""counter":1"#)) } else { Issue.record("\(second)") }
    }

    @Test func syntaxErrorsNameTheLine() throws {
        let runtime = try LuaRuntime(memoryLimit: limits.memoryBytes)
        guard case .error(let message) = runtime.load(name: "broken", source: "return {\n on = {\n x = = 1 } }", limits: limits.before) else {
            Issue.record("no syntax error")
            return
        }
        #expect(ScriptFailure(message: message).line == 3)
        guard case .error(let shape) = runtime.load(name: "shape", source: "return 42", limits: limits.before) else {
            Issue.record("a non-table script loaded")
            return
        }
        #expect(shape.contains("must return a table"))
        guard case .error(let slow) = runtime.load(name: "slow", source: "while true do end", limits: limits.before) else {
            Issue.record("an endless chunk loaded")
            return
        }
        #expect(slow.contains("instruction limit"))
    }

    @Test func hostCallsYieldToSwiftAndErrorsRaiseInLua() throws {
        let runtime = try LuaRuntime(memoryLimit: limits.memoryBytes)
        let source = "return { on = { ['x.beforeSave'] = function(event, crm) local ok, err = pcall(crm.get, 'contacts', 'id') event.record.err = err event.record.n = crm.find('contacts', {}, {}) end } }"
        guard case .done = runtime.load(name: "host", source: source, limits: limits.before) else { Issue.record("load"); return }
        var step = runtime.start(name: "host", event: "x.beforeSave", eventJSON: #"{"record":{}}"#, configJSON: "{}", limits: limits.before)
        guard case .hostCall(let first) = step else { Issue.record("\(step)"); return }
        #expect(first == #"{"fn":"get","args":["contacts","id"]}"#)
        step = runtime.resume(reply: "crm.get: nope", isError: true)
        guard case .hostCall(let second) = step else { Issue.record("\(step)"); return }
        #expect(second.hasPrefix(#"{"fn":"find""#))
        step = runtime.resume(reply: "[1,2,3]", isError: false)
        guard case .done(let output) = step else { Issue.record("\(step)"); return }
        #expect(output.contains(#""err":"crm.get: nope""#))
        #expect(output.contains(#""n":[1,2,3]"#))
        runtime.finish()
    }
}
