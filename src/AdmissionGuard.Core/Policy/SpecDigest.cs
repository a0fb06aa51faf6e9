using System.Buffers.Binary;
using System.Security.Cryptography;

namespace AdmissionGuard.Core.Policy;

/// <summary>
/// The length and SHA-256 of a spec's bytes as the API server serves them (<see cref="ServedSpec"/>). A baseline keeps this
/// instead of the bytes (36 bytes a policy against about 850): a review's spec with the same digest is the same text, since
/// nobody can make two texts share a SHA-256, so it is recognised without being read.
/// </summary>
public readonly record struct SpecDigest
{
    /// <summary>The length (4 bytes, little-endian) and then the SHA-256, as <see cref="WriteTo"/> writes them.</summary>
    public const int Size = 4 + HashSize;

    private const int HashSize = 32;

    private readonly int _length;
    private readonly ulong _first;
    private readonly ulong _second;
    private readonly ulong _third;
    private readonly ulong _fourth;

    private SpecDigest(int length, ReadOnlySpan<byte> hash)
    {
        _length = length;
        _first = BinaryPrimitives.ReadUInt64LittleEndian(hash);
        _second = BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]);
        _third = BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]);
        _fourth = BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]);
    }

    /// <summary>The length of the text it is the digest of.</summary>
    public int Length => _length;

    /// <summary>The digest of <paramref name="text"/>.</summary>
    public static SpecDigest Of(ReadOnlySpan<byte> text)
    {
        Span<byte> hash = stackalloc byte[HashSize];
        SHA256.HashData(text, hash);
        return new SpecDigest(text.Length, hash);
    }

    /// <summary>Whether <paramref name="text"/> is the text this is the digest of: hashed only when its length is the same.</summary>
    public bool IsDigestOf(ReadOnlySpan<byte> text) => text.Length == _length && Of(text) == this;

    /// <summary>A digest as <see cref="WriteTo"/> wrote it.</summary>
    /// <exception cref="ArgumentException">Not <see cref="Size"/> bytes.</exception>
    public static SpecDigest FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.Length == Size
            ? new SpecDigest(BinaryPrimitives.ReadInt32LittleEndian(bytes), bytes[4..])
            : throw new ArgumentException($"a spec digest is {Size} bytes, not {bytes.Length}", nameof(bytes));

    /// <summary>The length, then the SHA-256 as <see cref="SHA256"/> gives it.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, _length);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[4..], _first);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[12..], _second);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[20..], _third);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[28..], _fourth);
    }

    /// <summary>The SHA-256 in hexadecimal, as <c>sha256sum</c> prints it.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes[4..]);
    }
}
