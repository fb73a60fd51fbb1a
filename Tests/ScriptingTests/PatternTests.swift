import Foundation
import Kernel
import Testing

@testable import Scripting

/// string.find, match, gmatch and gsub as LuaShim's Pattern.c runs them: Lua 5.4's semantics
/// (results and error messages), with the matcher's work charged to the run's budget, so a
/// pathological pattern ends as a limit error instead of stalling a thread.
@Suite struct PatternTests {
    let limits = ScriptLimits.forHandlerTests(memoryBytes: 32 << 20)

    /// Loads `body` as the handler of `test.beforeSave` and runs it once.
    func run(_ body: String, runtime: LuaRuntime? = nil, name: String = "pattern") throws -> (LuaStep, LuaRuntime) {
        try runHandler(body, limits: limits, runtime: runtime, name: name)
    }

    /// The values of `expression`, each through tostring, joined by "|" (as record.x).
    func values(_ expression: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
        let body = """
            local function show(...)
              local t = table.pack(...)
              local out = {}
              for i = 1, t.n do out[i] = tostring(t[i]) end
              return table.concat(out, "|")
            end
            event.record.x = show(\(expression))
            """
        let (step, _) = try run(body)
        guard case .done(let output) = step else {
            Issue.record("\(expression) → \(step)", sourceLocation: sourceLocation)
            return nil
        }
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        return (object?["record"] as? [String: Any])?["x"] as? String
    }

    func check(_ expression: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let actual = try values(expression, sourceLocation: sourceLocation)
        #expect(actual == expected, "\(expression)", sourceLocation: sourceLocation)
    }

    @Test func findReturnsPositionsAndCaptures() throws {
        try check(#"("hello world"):find("o w")"#, "5|7")
        try check(#"("key=val"):find("(%w+)=(%w+)")"#, "1|7|key|val")
        try check(#"("hello"):find("l", -2)"#, "4|4")
        try check(#"("abc"):find("", 4)"#, "4|3")
        try check(#"("abc"):find("", 5)"#, "nil")
        try check(#"("a.b"):find(".", 1, true)"#, "2|2")
        try check(#"("a\0b"):find("\0", 1, true)"#, "2|2")
        try check(#"("abc"):find("^b")"#, "nil")
    }

    @Test func matchCapturesPositionsBackReferencesBalanceAndFrontier() throws {
        try check(#"("  trim me  "):match("^%s*(.-)%s*$")"#, "trim me")
        try check(#"("hello"):match("()ll()")"#, "3|5")
        try check(#"("say 'hi' now"):match("(['\"])(.-)%1")"#, "'|hi")
        try check(#"("f(a(b)c)d"):match("%b()")"#, "(a(b)c)")
        try check(#"("THE (quick) fox"):gsub("%f[%a]%a+", "W")"#, "W (W) W|3")
        try check(#"("x = 10, y = 20"):match("y%s*=%s*(%d+)$")"#, "20")
        try check(#"("abc123"):gsub("[^%d]", "")"#, "123|3")
        try check(#"("Hello World"):gsub("[A-Z]", "_")"#, "_ello _orld|2")
        try check(#"("aaa"):match("^(a-)(a+)$")"#, "|aaa")
    }

    @Test func gsubReplacementsStringTableFunctionAndCount() throws {
        try check(#"("hello world"):gsub("(%w+)", "<%1>")"#, "<hello> <world>|2")
        try check(#"("50"):gsub("%d+", "%0%%")"#, "50%|1")
        try check(#"("$name is $age"):gsub("%$(%w+)", {name = "Ann", age = 7})"#, "Ann is 7|2")
        try check(#"("abc"):gsub("%w", function(c) if c == "b" then return nil end return c:upper() end)"#, "AbC|3")
        try check(#"("aaaa"):gsub("a", "b", 2)"#, "bbaa|2")
        try check(#"("abc"):gsub("", "-")"#, "-a-b-c-|4")
        try check(#"("aaa"):gsub("^a", "b")"#, "baa|1")
    }

    @Test func gmatchIteratesLazilyWithInit() throws {
        try check(#"(function() local t = {} for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do t[#t + 1] = k .. v end return table.concat(t, ",") end)()"#, "a1,b2")
        try check(#"(function() local t = {} for w in ("one two three"):gmatch("%a+", 5) do t[#t + 1] = w end return table.concat(t, ",") end)()"#, "two,three")
        // In gmatch a leading '^' is a plain character (Lua 5.4).
        try check(#"(function() local n = 0 for _ in ("aaa"):gmatch("^a") do n = n + 1 end return n end)()"#, "0")
        try check(#"(function() local it = ("ab"):gmatch(".") return it(), it(), it() end)()"#, "a|b")
    }

    @Test func malformedPatternsRaiseLuasMessages() throws {
        try check(#"pcall(string.find, "abc", "[a")"#, "false|malformed pattern (missing ']')")
        try check(#"pcall(string.find, "abc", "a%")"#, "false|malformed pattern (ends with '%')")
        try check(#"pcall(string.find, "abc", "%f")"#, "false|missing '[' after '%f' in pattern")
        try check(#"pcall(string.find, "abc", "(a")"#, "false|unfinished capture")
        try check(#"pcall(string.match, "abc", "a)")"#, "false|invalid pattern capture")
        try check(#"pcall(string.gsub, "abc", "b", "%2")"#, "false|invalid capture index %2")
        try check(#"pcall(string.gsub, "abc", "b", "%x")"#, "false|invalid use of '%' in replacement string")
        try check(#"pcall(string.gsub, "abc", "%w", {a = true})"#, "false|invalid replacement value (a boolean)")
        try check(#"pcall(string.find, "a", ("()"):rep(33))"#, "false|too many captures")
        try check(#"pcall(string.match, ("a"):rep(300), ("a?"):rep(201))"#, "false|pattern too complex")
    }

    /// Each would run for minutes in stock Lua's C matcher; here the budget ends it.
    @Test func pathologicalPatternsHitTheLimitQuickly() throws {
        let attacks = [
            #"string.rep("a", 200000):find(".-b")"#,
            #"string.find(string.rep("a", 100000), ".-.-.-.-.-b")"#,
            #"string.rep("a", 50000):match("(.*)(.*)(.*)x")"#,
            #"(("a"):rep(30)):find(("a?"):rep(30) .. ("a"):rep(30))"#,
            #"for _ in string.rep("a", 200000):gmatch(".-b") do end"#,
            #"string.rep("a", 200000):gsub(".-b", "")"#,
            #"string.rep("(", 200000):find("%b()")"#,
            // pcall cannot swallow a spent budget
            #"pcall(string.find, string.rep("a", 200000), ".-b") event.record.x = "swallowed""#,
        ]
        for attack in attacks {
            // No wall-clock assertion (it flaked on a loaded machine): the budget's own message
            // says the limit, not the input's end, stopped it.
            let (step, runtime) = try run(attack)
            guard case .error(let message) = step else {
                Issue.record("no error for: \(attack) → \(step)")
                continue
            }
            #expect(message.contains("limit exceeded"), "\(attack): \(message)")
            // The state still serves.
            let (after, _) = try run("event.record.ok = ('ok'):match('o.')", runtime: runtime, name: "after")
            guard case .done(let output) = after else {
                Issue.record("runtime unusable after: \(attack)")
                continue
            }
            #expect(output.contains(#""ok":"ok""#))
        }
    }

    /// A plain search is linear (memmem), where Lua's own is O(n·m).
    @Test func plainFindIsLinear() throws {
        let clock = ContinuousClock()
        var result: String?
        let elapsed = try clock.measure {
            result = try values(#"("a"):rep(1e7):find(("a"):rep(5e6) .. "b", 1, true)"#)
        }
        #expect(result == "nil")
        #expect(elapsed < .milliseconds(1500), "took \(elapsed)")
        try check(#"("a"):rep(1e6):find(("a"):rep(5e5), 1, true)"#, "1|500000")
    }
}
