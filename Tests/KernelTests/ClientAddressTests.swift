import Kernel
import Testing

/// Behind a proxy the per-IP limits must see the client, and a client must not pick its own
/// address: `X-Forwarded-For` counts only from `TRUSTED_PROXIES`, read from the right.
@Suite struct ClientAddressTests {
    let behindProxies = ClientAddressResolver(trustedProxies: ["10.0.0.0/8", "::1"].compactMap(IPNetwork.init))

    @Test func networksParseAndRefuseWhatIsNotAnAddress() throws {
        #expect(IPNetwork("10.0.0.0/8") != nil && IPNetwork("192.168.1.7") != nil && IPNetwork("fd00::/8") != nil)
        for bad in ["", "10.0.0.0/33", "10.0.0/8", "example.com", "::1/129", "1.2.3.4/-1"] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
        #expect(throws: ConfigurationError(
            "TRUSTED_PROXIES", "must list IP addresses or CIDR networks, comma-separated (got 'proxy.internal')")
        ) {
            try CRMConfiguration(environment: ["TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"])
        }
        #expect(try CRMConfiguration(environment: ["TRUSTED_PROXIES": " 10.0.0.0/8 , ::1 "]).trustedProxies.count == 2)
    }

    @Test func withoutTrustedProxiesTheHeaderIsIgnored() {
        let direct = ClientAddressResolver(trustedProxies: [])
        #expect(direct.client(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
        #expect(direct.client(peer: nil, forwardedFor: []) == "unknown")
    }

    @Test func theClientIsTheRightmostUntrustedHop() {
        // The ALB (10.1.2.3) appended the client's address; the client forged the first entry.
        #expect(behindProxies.client(peer: "10.1.2.3", forwardedFor: ["6.6.6.6, 198.51.100.1"]) == "198.51.100.1")
        // Two proxies, and the header split over two lines.
        #expect(behindProxies.client(peer: "10.1.2.3", forwardedFor: ["198.51.100.1", "10.9.9.9"]) == "198.51.100.1")
        // A peer that is not a trusted proxy is the client, whatever it claims.
        #expect(behindProxies.client(peer: "203.0.113.9", forwardedFor: ["198.51.100.1"]) == "203.0.113.9")
        // A trusted peer with no header (a health check) is itself the client.
        #expect(behindProxies.client(peer: "10.1.2.3", forwardedFor: []) == "10.1.2.3")
        #expect(behindProxies.client(peer: "::1", forwardedFor: ["2001:db8::5"]) == "2001:db8::5")
        // IPv4-mapped IPv6 peers match IPv4 networks.
        #expect(behindProxies.client(peer: "::ffff:10.1.2.3", forwardedFor: ["198.51.100.1"]) == "198.51.100.1")
    }
}
