import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What an OAuth provider tells us about the person who signed in.
struct OAuthProfile: Sendable {
    let subject: String
    let email: String
    let name: String
}

/// Talks to Google or GitHub (or a stand-in at the configured URLs): builds the authorization
/// URL, exchanges the code with the PKCE verifier, and reads a profile with a verified email.
struct OAuthProvider: Sendable {
    let id: String
    let settings: OAuthProviderSettings
    let redirectURI: String

    var scope: String { id == "github" ? "read:user user:email" : "openid email profile" }

    func authorizationURL(state: String, codeChallenge: String) -> String {
        let base = settings.endpoints["AUTH_URL"] ?? ""
        let query = FormEncoding.encode([
            ("response_type", "code"), ("client_id", settings.clientID), ("redirect_uri", redirectURI),
            ("scope", scope), ("state", state), ("code_challenge", codeChallenge), ("code_challenge_method", "S256"),
        ])
        return base + (base.contains("?") ? "&" : "?") + query
    }

    func exchange(code: String, verifier: String) async throws -> String {
        var request = HTTPClientRequest(url: settings.endpoints["TOKEN_URL"] ?? "")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("client_id", settings.clientID), ("client_secret", settings.clientSecret), ("code_verifier", verifier),
        ])))
        let json = try await fetchJSON(request)
        guard let token = json["access_token"]?.stringValue else {
            throw APIError.badRequest("the \(id) sign-in could not be completed: the provider refused the code")
        }
        return token
    }

    func profile(accessToken: String) async throws -> OAuthProfile {
        if id == "github" {
            let user = try await get(settings.endpoints["USER_URL"] ?? "", token: accessToken)
            let emails = try await get(settings.endpoints["EMAILS_URL"] ?? "", token: accessToken)
            let primary = emails.arrayValue?.first { $0["primary"]?.boolValue == true && $0["verified"]?.boolValue == true }
            guard let subject = user["id"].map(Self.text), !subject.isEmpty, let email = primary?["email"]?.stringValue else {
                throw APIError.badRequest("GitHub did not return a verified primary email")
            }
            let name = user["name"]?.stringValue ?? user["login"]?.stringValue ?? email
            return OAuthProfile(subject: subject, email: email.lowercased(), name: name)
        }
        let info = try await get(settings.endpoints["USERINFO_URL"] ?? "", token: accessToken)
        guard let subject = info["sub"].map(Self.text), !subject.isEmpty, let email = info["email"]?.stringValue,
            info["email_verified"]?.boolValue == true || info["email_verified"]?.stringValue == "true"
        else {
            throw APIError.badRequest("Google did not return a verified email")
        }
        return OAuthProfile(subject: subject, email: email.lowercased(), name: info["name"]?.stringValue ?? email)
    }

    private func get(_ url: String, token: String) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "crm")
        return try await fetchJSON(request)
    }

    private func fetchJSON(_ request: HTTPClientRequest) async throws -> JSONValue {
        let failed = APIError.badRequest("the \(id) sign-in could not be completed: the provider did not answer as expected")
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard (200..<300).contains(response.status.code), let json = JSONValue.parse(Data(buffer: body)) else { throw failed }
            return json
        } catch let error as APIError {
            throw error
        } catch {
            throw failed
        }
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return ""
        }
    }
}

/// `application/x-www-form-urlencoded` with RFC 3986 unreserved characters kept.
enum FormEncoding {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")=\(value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")"
        }.joined(separator: "&")
    }
}
