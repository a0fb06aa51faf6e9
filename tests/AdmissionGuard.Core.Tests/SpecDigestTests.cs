using System.Security.Cryptography;
using System.Text;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary><see cref="SpecDigest"/>: the SHA-256 of a served spec, which a baseline keeps instead of the bytes.</summary>
public class SpecDigestTests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("""{"podSelector":{},"policyTypes":["Ingress"]}""", null)]
    public void Is_the_SHA_256_of_the_text(string text, string? knownHex)
    {
        var bytes = Encoding.UTF8.GetBytes(text);

        var digest = SpecDigest.Of(bytes);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), digest.ToString());
        if (knownHex is not null)
        {
            Assert.Equal(knownHex, digest.ToString());
        }
    }

    [Fact]
    public void Texts_one_byte_apart_differ_and_equal_texts_agree()
    {
        var text = Encoding.UTF8.GetBytes("""{"podSelector":{},"ingress":[{"ports":[{"protocol":"TCP","port":80}]}],"policyTypes":["Ingress"]}""");
        var changed = (byte[])text.Clone();
        changed[^3]++;

        Assert.Equal(SpecDigest.Of(text), SpecDigest.Of((byte[])text.Clone()));
        Assert.NotEqual(SpecDigest.Of(text), SpecDigest.Of(changed));
        Assert.NotEqual(SpecDigest.Of(text), SpecDigest.Of(text.AsSpan(0, text.Length - 1)));
        Assert.NotEqual(default, SpecDigest.Of([]));
    }

    [Fact]
    public void Reads_back_from_the_bytes_it_writes_its_length_and_then_its_SHA_256()
    {
        var digest = SpecDigest.Of("spec"u8);
        var bytes = new byte[SpecDigest.Size];

        digest.WriteTo(bytes);

        Assert.Equal(4, digest.Length);
        Assert.Equal([4, 0, 0, 0], bytes[..4]);
        Assert.Equal(SHA256.HashData("spec"u8.ToArray()), bytes[4..]);
        Assert.Equal(digest, SpecDigest.FromBytes(bytes));
    }

    [Fact]
    public void Is_the_digest_only_of_its_own_text()
    {
        var text = Encoding.UTF8.GetBytes("""{"podSelector":{},"policyTypes":["Ingress"]}""");
        var digest = SpecDigest.Of(text);
        var sameLength = (byte[])text.Clone();
        sameLength[5] ^= 1;

        Assert.True(digest.IsDigestOf(text));
        Assert.False(digest.IsDigestOf(sameLength));
        Assert.False(digest.IsDigestOf(text.AsSpan(1)));
        Assert.False(digest.IsDigestOf([]));
        Assert.False(default(SpecDigest).IsDigestOf([]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(35)]
    [InlineData(37)]
    public void Refuses_a_digest_of_another_size(int size)
    {
        var error = Assert.Throws<ArgumentException>(() => SpecDigest.FromBytes(new byte[size]));

        Assert.StartsWith($"a spec digest is 36 bytes, not {size}", error.Message);
    }
}
