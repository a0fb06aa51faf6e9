using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>
/// A new pod puts its first baseline in force without the served-spec digests (<see cref="ManifestReadOptions.WithoutDigest"/>)
/// and makes them after (<see cref="LaterDigests"/>): the same digests a full read makes, only for the spec the baseline holds,
/// kept for the next commit's unchanged files and written to disk.
/// </summary>
public sealed class LaterDigestsTests : IDisposable
{
    private const string Db = Drift.DriftFixtures.Db;

    private const string Two = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web, namespace: shop}
        spec:
          podSelector: {}
          egress:
          - to:
            - ipBlock: {cidr: 10.0.0.0/8}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny, namespace: shop}
        spec: {podSelector: {}, policyTypes: [Ingress]}
        """;

    private readonly GitRepository _repository = new();
    private readonly TempDirectory _cache = new();

    public void Dispose()
    {
        _repository.Dispose();
        _cache.Dispose();
    }

    private GitSettings Settings() => new() { Repository = _repository.Path, CacheDirectory = _cache.Path };

    private static readonly PolicyKey[] Keys = [new("shop", "db"), new("shop", "web"), new("shop", "deny")];

    [Fact]
    public void Digests_made_after_are_those_a_full_read_makes_and_the_read_without_them_has_none()
    {
        var commit = _repository.Commit(new Dictionary<string, string> { ["shop/db.yaml"] = Db, ["shop/two.yaml"] = Two });
        var source = new GitBaselineSource(Settings(), TimeProvider.System);
        source.Fetch(CancellationToken.None);
        var full = source.Load(commit, DateTimeOffset.UtcNow);
        var without = new GitBaselineSource(Settings(), TimeProvider.System).Load(commit, DateTimeOffset.UtcNow, withoutDigests: true, CancellationToken.None);

        var later = new GitBaselineSource(Settings(), TimeProvider.System).AddDigests(without);

        Assert.All(Keys, key => Assert.Null(without.Baseline.Find(key)!.ServedDigest));
        Assert.All(Keys, key => Assert.NotNull(full.Baseline.Find(key)!.ServedDigest));
        Assert.Equal(Keys.Select(k => full.Baseline.Find(k)!.ServedDigest), Keys.Select(k => later.Baseline.Find(k)!.ServedDigest));
        Assert.All(Keys, key => Assert.Same(without.Baseline.Find(key)!.Policy, later.Baseline.Find(key)!.Policy));
        Assert.Equal((without.Baseline.Commit, without.Baseline.LoadedAt), (later.Baseline.Commit, later.Baseline.LoadedAt));
    }

    [Fact]
    public void No_digest_is_made_for_a_policy_whose_spec_is_not_the_one_the_file_declares()
    {
        var (source, without) = LoadedWithoutDigests();

        // The baseline holds another spec for db than its file declares: a digest of the file's would vouch for the wrong spec.
        var other = without.Baseline.Find(Keys[1])!.Policy.Spec;
        var declared = without.Declared.Select(policies => (IReadOnlyList<DeclaredPolicy>)[.. policies.Select(p =>
            p.Policy.Id == Keys[0] ? p with { Policy = p.Policy with { Spec = other } } : p)]).ToList();
        var changed = without with { Declared = declared };

        var later = source.AddDigests(changed);

        Assert.Null(later.Baseline.Find(Keys[0])!.ServedDigest);
        Assert.NotNull(later.Baseline.Find(Keys[1])!.ServedDigest);
    }

    [Fact]
    public void No_digest_is_made_for_a_file_whose_policies_are_not_where_the_baseline_has_them()
    {
        var (source, without) = LoadedWithoutDigests();

        // two.yaml's policies in the other order (each name at the other's document), and db.yaml with one policy too many.
        var declared = without.Declared.Select(policies => (IReadOnlyList<DeclaredPolicy>)(policies.Count == 2
            ? [policies[0] with { Policy = policies[1].Policy }, policies[1] with { Policy = policies[0].Policy }]
            : [.. policies, policies[0] with { Policy = policies[0].Policy with { Name = "db-copy" } }])).ToList();

        var later = source.AddDigests(without with { Declared = declared });

        Assert.All(later.Declared.SelectMany(p => p), p => Assert.Null(p.ServedDigest));
    }

    [Fact]
    public void The_next_commit_keeps_the_digests_of_its_unchanged_files()
    {
        _repository.Commit(new Dictionary<string, string> { ["shop/db.yaml"] = Db, ["shop/two.yaml"] = Two });
        var source = new GitBaselineSource(Settings(), TimeProvider.System);
        var first = source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow, withoutDigests: true, CancellationToken.None);
        var withDigests = source.AddDigests(first);

        _repository.Commit(new Dictionary<string, string> { ["shop/two.yaml"] = Two.Replace("10.0.0.0/8", "10.1.0.0/16", StringComparison.Ordinal) });
        var next = source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow);

        Assert.Same(withDigests.Baseline.Find(Keys[0])!.Policy, next.Baseline.Find(Keys[0])!.Policy);
        Assert.NotNull(next.Baseline.Find(Keys[0])!.ServedDigest);
        Assert.Equal(withDigests.Baseline.Find(Keys[0])!.ServedDigest, next.Baseline.Find(Keys[0])!.ServedDigest);
        Assert.NotNull(next.Baseline.Find(Keys[1])!.ServedDigest);
    }

    [Fact]
    public void A_new_pods_first_baseline_gets_its_digests_after_and_on_disk_and_a_later_commit_is_read_with_them()
    {
        var commit = _repository.Commit(new Dictionary<string, string> { ["shop/db.yaml"] = Db, ["shop/two.yaml"] = Two });
        var expected = ExpectedDigests(commit);
        var store = new BaselineStore();
        var log = new ListLogger();
        var refresher = Refresher(store, log);

        Assert.True(refresher.RefreshOnce(CancellationToken.None));
        var inForce = Keys.Select(k => store.Current!.Find(k)!.ServedDigest).ToList();
        var persisted = new PersistedBaseline(Settings()).Load(DateTimeOffset.UtcNow, new ParsedManifests());
        var madeAfter = log.Starting("Served-spec digests of commit").Count;

        // A commit read while a baseline is in force is read with its digests at once.
        _repository.Commit(new Dictionary<string, string> { ["shop/db.yaml"] = Db.Replace("5432", "5433", StringComparison.Ordinal) });
        Assert.True(refresher.RefreshOnce(CancellationToken.None));

        Assert.Equal(expected.Skip(1), Keys.Skip(1).Select(k => store.Current!.Find(k)!.ServedDigest));
        Assert.NotNull(store.Current!.Find(Keys[0])!.ServedDigest);
        Assert.Equal(expected, inForce);
        Assert.Equal(expected, Keys.Select(k => persisted!.Baseline.Find(k)!.ServedDigest));
        Assert.Equal((1, 1), (madeAfter, log.Starting("Served-spec digests of commit").Count));
    }

    [Fact]
    public void When_the_digests_cannot_be_made_the_next_commit_reads_every_file_again_with_them()
    {
        var commit = _repository.Commit(new Dictionary<string, string> { ["shop/db.yaml"] = Db, ["shop/two.yaml"] = Two });
        var store = new BaselineStore();
        var log = new ListLogger();
        var refresher = Refresher(store, log);
        Assert.True(refresher.RefreshOnce(CancellationToken.None));
        var before = store.Current!.Find(Keys[1])!.Policy;

        // A loaded commit one of whose files is no longer in the clone: its digests cannot be made.
        var source = new GitBaselineSource(Settings(), TimeProvider.System);
        var without = source.Load(commit, DateTimeOffset.UtcNow, withoutDigests: true, CancellationToken.None);
        var gone = without with { Files = [.. without.Files.Select(f => f with { BlobId = new string('1', 40) })] };
        var failed = refresher.AddDigests(gone);

        _repository.Commit(new Dictionary<string, string> { ["shop/db.yaml"] = Db.Replace("5432", "5433", StringComparison.Ordinal) });
        Assert.True(refresher.RefreshOnce(CancellationToken.None));

        Assert.Null(failed);
        var warning = Assert.Single(log.Starting("Commit {Commit} is in force, but reading it again")).Text;
        Assert.Contains("is not in the cached clone; reviews are read in full, and the baseline is not saved to disk", warning, StringComparison.Ordinal);
        Assert.NotSame(before, store.Current!.Find(Keys[1])!.Policy);
        Assert.NotNull(store.Current!.Find(Keys[1])!.ServedDigest);
    }

    /// <summary>Both files committed, fetched and read without digests, by a source of their own.</summary>
    private (GitBaselineSource Source, LoadedCommit Loaded) LoadedWithoutDigests()
    {
        var commit = _repository.Commit(new Dictionary<string, string> { ["shop/db.yaml"] = Db, ["shop/two.yaml"] = Two });
        var source = new GitBaselineSource(Settings(), TimeProvider.System);
        source.Fetch(CancellationToken.None);
        return (source, source.Load(commit, DateTimeOffset.UtcNow, withoutDigests: true, CancellationToken.None));
    }

    private BaselineRefresher Refresher(BaselineStore store, ListLogger log) => new(
        store,
        Microsoft.Extensions.Options.Options.Create(Settings()),
        TimeProvider.System,
        new Observability.GuardMetrics(store, new Cluster.DriftStore(enabled: false), TimeProvider.System),
        new TypedListLogger<BaselineRefresher>(log));

    private IReadOnlyList<SpecDigest?> ExpectedDigests(string commit)
    {
        using var cache = new TempDirectory();
        var source = new GitBaselineSource(new GitSettings { Repository = _repository.Path, CacheDirectory = cache.Path }, TimeProvider.System);
        source.Fetch(CancellationToken.None);
        var baseline = source.Load(commit, DateTimeOffset.UtcNow).Baseline;
        return [.. Keys.Select(k => baseline.Find(k)!.ServedDigest)];
    }
}
