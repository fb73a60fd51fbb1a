import Foundation
import Kernel
import Scripting
import Testing

/// The evaluator of custom fields' Lua expressions: the smallest way in to the sandbox.
@Suite struct ExpressionEvaluatorTests {
    let evaluator: ExpressionEvaluator = {
        var limits = ScriptLimits()
        limits.memoryBytes = 4 << 20
        return ExpressionEvaluator(sandbox: LuaSandbox(limits: limits, threads: 1))
    }()
    let tenant = UUID()

    func value(_ expression: String, _ value: JSONValue = .null, record: Record = [:]) async throws -> JSONValue {
        try await evaluator.evaluate(expression, value: value, record: record, organizationID: tenant).get()
    }

    @Test func evaluatesArithmeticWithValueAndRecord() async throws {
        #expect(try await value("1 + 1") == .int(2))
        #expect(try await value("'a' .. 'b'") == .string("ab"))
        #expect(try await value("1 / 2") == .double(0.5))
        #expect(try await value("value * 2", 21) == .int(42))
        #expect(try await value("record.custom.n + 1", record: ["custom": ["n": 1]]) == .int(2))
    }

    @Test func dangerousLibrariesAreAbsent() async throws {
        for name in ["io", "package", "debug", "require", "dofile", "loadfile", "collectgarbage", "string.dump", "os.execute", "os.getenv"] {
            #expect(try await value("\(name) == nil") == .bool(true), "\(name) must be absent")
        }
        #expect(try await value("type(os.time())") == .string("number"))
        #expect(try await value("getmetatable('')") == .string("string metatable is protected"))
    }

    @Test func failuresAreValuesNotCrashes() async throws {
        let binary = await evaluator.evaluate("load(string.char(27) .. 'Lua', 'x', 'b')()", value: .null, record: [:], organizationID: tenant)
        guard case .failure = binary else { Issue.record("a binary chunk loaded"); return }
        let memory = await evaluator.evaluate("#string.rep('x', 1e8)", value: .null, record: [:], organizationID: tenant)
        guard case .failure(let failure) = memory else { Issue.record("no memory error"); return }
        #expect(failure.message.contains("memory"))
        #expect(try await value("40 + 2") == .int(42), "still serves after a failure")
        await #expect(throws: ExpressionFailure.self) { try await evaluator.check("1 +", organizationID: tenant) }
    }
}
