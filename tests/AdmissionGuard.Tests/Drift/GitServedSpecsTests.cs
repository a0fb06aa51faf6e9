using System.Text;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Drift;

/// <summary>
/// <see cref="GitServedSpecs"/>: the spec a repair applies. A plain file's policy keeps only its spec's digest, so the file is
/// read again from the cached clone at the baseline's commit, and must give the spec the baseline holds.
/// </summary>
public sealed class GitServedSpecsTests : IDisposable
{
    // Peers out of order, a CIDR as written, a named port: a repair must restore them as Git has them, not as compared.
    private const string Declared = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress:
          - from:
            - podSelector: {matchLabels: {app: web}}
            - ipBlock: {cidr: 10.1.0.0/16}
            - podSelector: {matchLabels: {app: api}}
            ports: [{port: postgres}]
        """;

    private readonly GitRepository _repository = new();
    private readonly TempDirectory _cache = new();

    [Fact]
    public void A_plain_files_spec_is_read_again_as_Git_has_it()
    {
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/db.yaml"] = Declared, ["shop/other.yaml"] = Other });
        var entry = baseline.Find(new PolicyKey("shop", "db"))!;

        var served = new GitServedSpecs(settings).For(baseline, entry);

        Assert.Null(entry.ServedSpec);
        Assert.Equal(
            """{"podSelector":{"matchLabels":{"app":"db"}},"ingress":[{"ports":[{"protocol":"TCP","port":"postgres"}],"from":[{"podSelector":{"matchLabels":{"app":"web"}}},{"ipBlock":{"cidr":"10.1.0.0/16"}},{"podSelector":{"matchLabels":{"app":"api"}}}]}],"policyTypes":["Ingress"]}""",
            Encoding.UTF8.GetString(served));
        Assert.Equal(entry.ServedDigest, SpecDigest.Of(served));
    }

    [Fact]
    public void A_spec_that_does_not_match_the_digest_the_baseline_holds_is_refused()
    {
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/db.yaml"] = Declared });
        var entry = baseline.Find(new PolicyKey("shop", "db"))! with { ServedDigest = SpecDigest.Of("{}"u8) };

        var error = Assert.Throws<InvalidOperationException>(() => new GitServedSpecs(settings).For(baseline, entry));

        Assert.Equal($"shop/db.yaml@{baseline.ShortCommit}, read again, gives another spec than the baseline holds", error.Message);
    }

    [Fact]
    public void A_policy_the_file_no_longer_declares_where_the_baseline_found_it_is_refused()
    {
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/db.yaml"] = Declared });
        var entry = baseline.Find(new PolicyKey("shop", "db"))! with { DocumentIndex = 3 };

        var error = Assert.Throws<InvalidOperationException>(() => new GitServedSpecs(settings).For(baseline, entry));

        Assert.Equal($"shop/db.yaml@{baseline.ShortCommit}, read again, does not declare the policy in document 3", error.Message);
    }

    [Fact]
    public void A_file_is_read_once_for_all_its_policies()
    {
        var list = "apiVersion: v1\nkind: List\nitems:\n" + string.Concat(Enumerable.Range(0, 50).Select(i =>
            $"- {{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {{name: p-{i}, namespace: shop}}, spec: {{podSelector: {{matchLabels: {{app: a-{i}}}}}}}}}\n"));
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/all.yaml"] = list });
        var specs = new GitServedSpecs(settings);

        var first = specs.For(baseline, baseline.Find(new PolicyKey("shop", "p-0"))!);
        Directory.Delete(new GitRepositoryCache(settings).Directory, recursive: true);
        var others = Enumerable.Range(1, 49).Select(i => specs.For(baseline, baseline.Find(new PolicyKey("shop", $"p-{i}"))!)).ToList();

        Assert.Equal("""{"podSelector":{"matchLabels":{"app":"a-0"}},"policyTypes":["Ingress"]}""", Encoding.UTF8.GetString(first));
        Assert.Equal("""{"podSelector":{"matchLabels":{"app":"a-49"}},"policyTypes":["Ingress"]}""", Encoding.UTF8.GetString(others[^1]));
        Assert.Equal(49, others.Select(Encoding.UTF8.GetString).Distinct().Count());
    }

    [Fact]
    public void A_damaged_clone_is_a_one_line_reason_not_an_exception_of_its_own()
    {
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/db.yaml"] = Declared });
        // The packs' objects garbled behind their intact headers and indexes: found, then unreadable.
        var packs = Directory.EnumerateFiles(new GitRepositoryCache(settings).Directory, "*.pack", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(packs);
        foreach (var pack in packs)
        {
            var bytes = File.ReadAllBytes(pack);
            Array.Fill(bytes, (byte)0xff, 12, bytes.Length - 12 - 20);
            File.SetAttributes(pack, FileAttributes.Normal);
            File.WriteAllBytes(pack, bytes);
        }

        var error = Assert.Throws<InvalidOperationException>(() => new GitServedSpecs(settings).For(baseline, baseline.Find(new PolicyKey("shop", "db"))!));

        Assert.StartsWith($"cannot read shop/db.yaml@{baseline.ShortCommit} from the cached clone in ", error.Message);
        Assert.IsAssignableFrom<LibGit2Sharp.LibGit2SharpException>(error.InnerException);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Without_the_cached_clone_the_repair_says_where_it_looked()
    {
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/db.yaml"] = Declared });
        var clone = new GitRepositoryCache(settings).Directory;
        Directory.Delete(clone, recursive: true);

        var error = Assert.Throws<InvalidOperationException>(() => new GitServedSpecs(settings).For(baseline, baseline.Find(new PolicyKey("shop", "db"))!));

        Assert.Equal($"cannot read shop/db.yaml@{baseline.ShortCommit} from the cached clone in {clone}", error.Message);
    }

    [Fact]
    public void A_policy_without_a_digest_is_restored_when_the_file_still_reads_into_the_baseline_spec()
    {
        // A new pod whose digests could not be made after its first load.
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/db.yaml"] = Declared });
        var entry = baseline.Find(new PolicyKey("shop", "db"))!;

        var served = new GitServedSpecs(settings).For(baseline, entry with { ServedDigest = null });

        Assert.Equal(entry.ServedDigest, SpecDigest.Of(served));
    }

    [Fact]
    public void A_policy_without_a_digest_whose_file_reads_into_another_spec_is_refused()
    {
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/db.yaml"] = Declared, ["shop/other.yaml"] = Other });
        var entry = baseline.Find(new PolicyKey("shop", "db"))!;
        var otherSpec = baseline.Find(new PolicyKey("shop", "other"))!.Policy.Spec;

        var error = Assert.Throws<InvalidOperationException>(
            () => new GitServedSpecs(settings).For(baseline, entry with { ServedDigest = null, Policy = entry.Policy with { Spec = otherSpec } }));

        Assert.Equal($"shop/db.yaml@{baseline.ShortCommit}, read again, gives another spec than the baseline holds", error.Message);
    }

    [Fact]
    public void A_rendered_policy_whose_spec_could_not_be_written_is_not_read_again_from_its_base_file()
    {
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/db.yaml"] = Declared });
        var entry = baseline.Find(new PolicyKey("shop", "db"))! with { ServedDigest = null, ServedSpec = null, Via = "shop/overlays/prod" };

        var error = Assert.Throws<InvalidOperationException>(() => new GitServedSpecs(settings).For(baseline, entry));

        Assert.Equal("Git's spec could not be written as the API server serves it", error.Message);
    }

    [Fact]
    public void A_kept_spec_is_used_as_it_is()
    {
        var (settings, baseline) = Loaded(new Dictionary<string, string> { ["shop/db.yaml"] = Declared });
        var entry = baseline.Find(new PolicyKey("shop", "db"))! with { ServedSpec = "{\"podSelector\":{}}"u8.ToArray() };
        Directory.Delete(new GitRepositoryCache(settings).Directory, recursive: true);

        Assert.Equal("{\"podSelector\":{}}", Encoding.UTF8.GetString(new GitServedSpecs(settings).For(baseline, entry)));
    }

    public void Dispose()
    {
        _repository.Dispose();
        _cache.Dispose();
    }

    private const string Other = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: other, namespace: shop}
        spec: {podSelector: {}}
        """;

    private (GitSettings Settings, Baseline Baseline) Loaded(Dictionary<string, string> files)
    {
        _repository.Commit(files);
        var settings = new GitSettings { Repository = _repository.Path, CacheDirectory = _cache.Path };
        var source = new GitBaselineSource(settings, TimeProvider.System);
        return (settings, source.Load(source.Fetch(CancellationToken.None), DateTimeOffset.UtcNow).Baseline);
    }
}
