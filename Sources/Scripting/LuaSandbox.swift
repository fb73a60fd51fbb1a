import Kernel
import LuaShim

/// A script failure, reported to callers as a value (never a crash, never a longjmp into Swift).
public struct LuaError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// One sandboxed Lua 5.4 state with a memory cap. Not thread-safe: a state is used by one task
/// at a time (the per-tenant pool of a later issue checks states out).
public final class LuaSandbox {
    public static let defaultMemoryLimit = 16 << 20

    private let state: OpaquePointer

    public init(memoryLimit: Int = LuaSandbox.defaultMemoryLimit) throws {
        guard let state = crm_lua_new_sandbox(memoryLimit) else {
            throw LuaError(message: "could not create a Lua state within \(memoryLimit) bytes")
        }
        self.state = state
    }

    deinit { crm_lua_close(state) }

    /// Bytes the state has allocated.
    public var memoryUsed: Int { crm_lua_memory_used(state) }

    /// Runs `code` as a text chunk and returns its first result as JSON.
    public func evaluate(_ code: String, chunkName: String = "=eval") throws -> JSONValue {
        var errorBuffer = [CChar](repeating: 0, count: 1024)
        let status = code.withCString { pointer in
            crm_lua_eval(state, pointer, code.utf8.count, chunkName, &errorBuffer, errorBuffer.count)
        }
        guard status == 0 else {
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw LuaError(message: message)
        }
        defer { crm_lua_pop(state, 1) }
        return topValue()
    }

    private func topValue() -> JSONValue {
        switch crm_lua_top_type(state) {
        case 1:  // LUA_TBOOLEAN
            return .bool(crm_lua_top_boolean(state) != 0)
        case 3:  // LUA_TNUMBER
            return crm_lua_top_is_integer(state) != 0 ? .int(crm_lua_top_integer(state)) : .double(crm_lua_top_number(state))
        case 4:  // LUA_TSTRING
            let length = crm_lua_top_string(state, nil, 0)
            var buffer = [CChar](repeating: 0, count: Int(length) + 1)
            _ = crm_lua_top_string(state, &buffer, buffer.count)
            return .string(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        default:
            return .null
        }
    }
}
