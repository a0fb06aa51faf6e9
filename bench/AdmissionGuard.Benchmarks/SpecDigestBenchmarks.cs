using System.Security.Cryptography;
using System.Text.Json;
using AdmissionGuard.Core.Policy;
using BenchmarkDotNet.Attributes;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// What recognising an unchanged spec costs a review: the baseline keeps the SHA-256 of each declared spec's served form
/// (<see cref="SpecDigest"/>) instead of the bytes, so a review's spec is hashed where it was compared byte for byte.
/// The spec is the typical policy's served form (<see cref="Fixtures.Declared"/>).
/// </summary>
[MemoryDiagnoser]
public class SpecDigestBenchmarks
{
    private byte[] _served = null!;
    private byte[] _copy = null!;
    private SpecDigest _digest;

    [GlobalSetup]
    public void Setup()
    {
        using var document = JsonDocument.Parse(Fixtures.Declared(4242).ToJsonString());
        _served = ServedSpec.Render(document.RootElement, PolicyReader.Read(document.RootElement).Spec)
            ?? throw new InvalidOperationException("the typical policy does not render");
        _copy = (byte[])_served.Clone();
        _digest = SpecDigest.Of(_served);
        Console.WriteLine($"// served spec: {_served.Length} bytes");
    }

    /// <summary>What /validate did before: the review's bytes against the kept bytes.</summary>
    [Benchmark(Baseline = true)]
    public bool CompareBytes() => _copy.AsSpan().SequenceEqual(_served);

    /// <summary>What /validate does: the review's bytes hashed, against the kept digest.</summary>
    [Benchmark]
    public bool CompareDigest() => _digest.IsDigestOf(_copy);

    private readonly IncrementalHash _incremental = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>The hash alone, through a reused incremental hash (no context made per call).</summary>
    [Benchmark]
    public int Sha256Reused()
    {
        Span<byte> hash = stackalloc byte[32];
        _incremental.AppendData(_copy);
        return _incremental.GetHashAndReset(hash);
    }

    /// <summary>The hash of 64 bytes: the fixed cost of a call.</summary>
    [Benchmark]
    public int Sha256Of64Bytes()
    {
        Span<byte> hash = stackalloc byte[32];
        return SHA256.HashData(_copy.AsSpan(0, 64), hash);
    }

    /// <summary>The hash alone, through the one-shot API.</summary>
    [Benchmark]
    public int Sha256OneShot()
    {
        Span<byte> hash = stackalloc byte[32];
        return SHA256.HashData(_copy, hash);
    }
}
