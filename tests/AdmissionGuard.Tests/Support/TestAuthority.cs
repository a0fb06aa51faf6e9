using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AdmissionGuard.Tests.Support;

/// <summary>A CA made in memory that issues client certificates, as a cluster's PKI issues the API server's.</summary>
public sealed class TestAuthority : IDisposable
{
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <param name="issuer">The CA that signs this one (an intermediate); none makes a self-signed root.</param>
    public TestAuthority(string name, TestAuthority? issuer = null)
    {
        var now = DateTimeOffset.UtcNow;
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        if (issuer is null)
        {
            Certificate = request.CreateSelfSigned(now.AddDays(-2), now.AddDays(2));
            return;
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var signed = request.Create(issuer.Certificate, now.AddDays(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        Certificate = signed.CopyWithPrivateKey(_key);
    }

    /// <summary>The CA's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public string Pem => Certificate.ExportCertificatePem() + "\n";

    /// <summary>A client certificate with its private key, valid from an hour ago for a day unless told otherwise.</summary>
    /// <param name="usage">The extended key usage it carries; clientAuth, as the API server's has.</param>
    public X509Certificate2 Issue(string subject, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, string usage = ClientAuthentication)
    {
        var now = DateTimeOffset.UtcNow;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var issued = request.Create(Certificate, notBefore ?? now.AddHours(-1), notAfter ?? now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        using var withKey = issued.CopyWithPrivateKey(key);

        // Exported and re-imported: TLS on some platforms cannot use an ephemeral key.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
