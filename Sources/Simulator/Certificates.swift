import Crypto
import Foundation
import SwiftASN1
import X509

/// The simulated cluster's PKI, made in-process at start: a CA, a serving certificate for
/// the listening address, and a client certificate for the `sim-cert` user. P-256 keys: they
/// take milliseconds to make, where RSA-2048 takes up to a second (../shared/interop.md).
public struct ClusterPKI: Sendable, Codable {
    public var caCertPEM: String
    public var caKeyPEM: String
    public var serverCertPEM: String
    public var serverKeyPEM: String
    public var clientCertPEM: String
    public var clientKeyPEM: String
    /// The addresses the serving certificate was made for; a restart on another address
    /// re-issues it from the same CA.
    public var serverNames: [String]

    static let clientUser = "sim-cert"
    /// The client certificate's organisation is its group, as on a real API server.
    static let clientGroup = "system:masters"

    public static func generate(serverNames: [String]) throws -> ClusterPKI {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("smitop")
            CommonName("smitop-sim-ca")
        }
        let now = Date()
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))
        var pki = ClusterPKI(
            caCertPEM: try ca.serializeAsPEM().pemString, caKeyPEM: caKey.pemRepresentation,
            serverCertPEM: "", serverKeyPEM: "", clientCertPEM: "", clientKeyPEM: "", serverNames: [])
        try pki.issueServing(for: serverNames)
        let clientKey = P256.Signing.PrivateKey()
        let client = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(clientKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: caName,
            subject: try DistinguishedName {
                OrganizationName(clientGroup)
                CommonName(clientUser)
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.clientAuth])
            },
            issuerPrivateKey: .init(caKey))
        pki.clientCertPEM = try client.serializeAsPEM().pemString
        pki.clientKeyPEM = clientKey.pemRepresentation
        return pki
    }

    /// (Re-)issues the serving certificate from this CA for the given IPs and DNS names.
    public mutating func issueServing(for names: [String]) throws {
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: caKeyPEM)
        let ca = try Certificate(pemEncoded: caCertPEM)
        let key = P256.Signing.PrivateKey()
        var sans: [GeneralName] = []
        for n in Set(names + ["127.0.0.1", "localhost"]).sorted() {
            if let ip = Self.ipBytes(n) {
                sans.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(ip))))
            } else {
                sans.append(.dnsName(n))
            }
        }
        let now = Date()
        let cert = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86400),
            issuer: ca.subject, subject: try DistinguishedName { CommonName("kube-apiserver") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(sans)
            },
            issuerPrivateKey: .init(caKey))
        serverCertPEM = try cert.serializeAsPEM().pemString
        serverKeyPEM = key.pemRepresentation
        serverNames = names
    }

    static func ipBytes(_ s: String) -> [UInt8]? {
        var addr4 = in_addr()
        if inet_pton(AF_INET, s, &addr4) == 1 {
            return withUnsafeBytes(of: &addr4) { Array($0) }
        }
        var addr6 = in6_addr()
        if inet_pton(AF_INET6, s, &addr6) == 1 {
            return withUnsafeBytes(of: &addr6) { Array($0) }
        }
        return nil
    }

    /// Who a presented client certificate belongs to: its CN, if this CA issued it.
    static func user(fromCertificateDER der: [UInt8], caPEM: String) -> String? {
        guard let cert = try? Certificate(derEncoded: der), let ca = try? Certificate(pemEncoded: caPEM) else { return nil }
        guard cert.issuer == ca.subject else { return nil }
        for rdn in cert.subject {
            for attr in rdn where attr.type == .RDNAttributeType.commonName {
                return String(describing: attr.value)
            }
        }
        return nil
    }
}
