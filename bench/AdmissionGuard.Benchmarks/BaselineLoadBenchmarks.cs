using AdmissionGuard.Git;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// Loading a 10,000-policy baseline from a real Git repository (made with git in a temp folder):
/// from an empty cache (clone, read every manifest, canonicalise, index), as at start-up, and from
/// an already fetched clone, as a refresh to a new commit does.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class BaselineLoadBenchmarks
{
    private string _root = null!;
    private string _repository = null!;
    private string _warmCache = null!;
    private string _commit = null!;
    private GitSettings _coldSettings = null!;
    private int _iteration;

    [Params(10_000)]
    public int Policies { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("admissionguard-bench-").FullName;
        _repository = Fixtures.WriteRepository(Path.Combine(_root, "repo"), Policies);
        _warmCache = Path.Combine(_root, "warm-cache");
        var warm = new GitBaselineSource(new GitSettings { Repository = _repository, CacheDirectory = _warmCache }, TimeProvider.System);
        _commit = warm.Fetch(CancellationToken.None);
        var count = warm.Load(_commit, DateTimeOffset.UtcNow).Baseline.Count;
        if (count != Policies)
        {
            throw new InvalidOperationException($"baseline has {count} policies, expected {Policies}");
        }
    }

    [IterationSetup(Target = nameof(CloneAndLoad))]
    public void FreshCache() =>
        _coldSettings = new GitSettings { Repository = _repository, CacheDirectory = Path.Combine(_root, $"cold-cache-{_iteration++}") };

    /// <summary>Start-up: clone into an empty cache, then read, canonicalise and index every policy.</summary>
    [Benchmark]
    public int CloneAndLoad() => new GitBaselineSource(_coldSettings, TimeProvider.System).FetchAndLoad(DateTimeOffset.UtcNow).Count;

    /// <summary>A refresh to a new commit: the objects are local; read, canonicalise and index every policy.</summary>
    [Benchmark]
    public int LoadFetchedCommit() =>
        new GitBaselineSource(new GitSettings { Repository = _repository, CacheDirectory = _warmCache }, TimeProvider.System)
            .Load(_commit, DateTimeOffset.UtcNow).Baseline.Count;

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);
}
