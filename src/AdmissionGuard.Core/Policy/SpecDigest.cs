using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// The SHA-256 of a spec's bytes as the API server serves them (<see cref="ServedSpec"/>). A baseline keeps this instead
/// of the bytes (32 bytes a policy against about 850): a review's spec with the same digest is the same text, since
/// nobody can make two texts share a SHA-256, so it is recognised without being read.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct SpecDigest
{
    public const int Size = 32;

    private readonly ulong _first;
    private readonly ulong _second;
    private readonly ulong _third;
    private readonly ulong _fourth;

    private SpecDigest(ReadOnlySpan<byte> hash)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(hash);
        (_first, _second, _third, _fourth) = (words[0], words[1], words[2], words[3]);
    }

    /// <summary>The digest of <paramref name="text"/>.</summary>
    public static SpecDigest Of(ReadOnlySpan<byte> text)
    {
        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(text, hash);
        return new SpecDigest(hash);
    }

    /// <summary>A digest as <see cref="WriteTo"/> wrote it.</summary>
    /// <exception cref="ArgumentException">Not <see cref="Size"/> bytes.</exception>
    public static SpecDigest FromBytes(ReadOnlySpan<byte> hash) =>
        hash.Length == Size ? new SpecDigest(hash) : throw new ArgumentException($"a spec digest is {Size} bytes, not {hash.Length}", nameof(hash));

    /// <summary>The SHA-256 itself, as <see cref="SHA256"/> gives it.</summary>
    public void WriteTo(Span<byte> destination)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(destination[..Size]);
        (words[0], words[1], words[2], words[3]) = (_first, _second, _third, _fourth);
    }

    public override string ToString()
    {
        Span<byte> hash = stackalloc byte[Size];
        WriteTo(hash);
        return Convert.ToHexStringLower(hash);
    }
}
