import Kernel
import Scripting
import Testing

@Suite struct LuaSandboxTests {
    @Test func evaluatesArithmetic() throws {
        let lua = try LuaSandbox()
        #expect(try lua.evaluate("return 1 + 1") == .int(2))
        #expect(try lua.evaluate("return 'a' .. 'b'") == .string("ab"))
        #expect(try lua.evaluate("return 1 / 2") == .double(0.5))
    }

    @Test func dangerousLibrariesAreAbsent() throws {
        let lua = try LuaSandbox()
        for name in ["io", "package", "debug", "require", "dofile", "loadfile", "collectgarbage", "string.dump", "os.execute", "os.getenv"] {
            #expect(try lua.evaluate("return \(name) == nil") == .bool(true), "\(name) must be absent")
        }
        #expect(try lua.evaluate("return type(os.time())") == .string("number"))
    }

    @Test func binaryChunksAreRefused() throws {
        let lua = try LuaSandbox()
        #expect(throws: LuaError.self) { try lua.evaluate("return load('\\27Lua', 'x', 'b')") }
        #expect(try lua.evaluate("return load('return 2')()") == .int(2))
    }

    @Test func theStringMetatableIsProtected() throws {
        let lua = try LuaSandbox()
        #expect(try lua.evaluate("return getmetatable('')") == .string("string metatable is protected"))
        #expect(throws: LuaError.self) { try lua.evaluate("setmetatable('', {})") }
    }

    @Test func memoryIsCapped() throws {
        let lua = try LuaSandbox(memoryLimit: 4 << 20)
        do {
            _ = try lua.evaluate("local t = {} for i = 1, 1e8 do t[i] = i end")
            Issue.record("no memory error")
        } catch let error as LuaError {
            #expect(error.message.contains("memory"))
        }
        // The state is still usable after the error.
        #expect(try lua.evaluate("return 40 + 2") == .int(42))
        #expect(lua.memoryUsed < 4 << 20)
    }

    @Test func syntaxErrorsAreReportedWithTheLine() throws {
        let lua = try LuaSandbox()
        #expect(throws: LuaError.self) { try lua.evaluate("return 1 +") }
        do {
            _ = try lua.evaluate("\n\nerror('boom')")
        } catch let error as LuaError {
            #expect(error.message.contains(":3:"))
            #expect(error.message.contains("boom"))
        }
    }
}
