using System.Text;
using System.Text.Json;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>
/// The persisted baseline holds what each file declared, and reads back into the same baseline without Git, the cached
/// clone or kustomize: the same policies, served specs, files, renders' base files and notices.
/// </summary>
public sealed class PersistedBaselineTests
{
    private static string Policy(string name, int port) =>
        $"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  ingress:\n  - ports:\n    - port: {port}\n";

    private const string Labelled = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: labelled
          labels: {team: ops, app.kubernetes.io/name: web}
          annotations: {owner: "caf\u00e9 \U0001F600", note: "two\nlines \"quoted\" <b>&</b>", empty: ""}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Egress, Ingress]
          egress:
          - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
          ingress: []
        status: {}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: not-a-policy}
        """;

    [SkippableFact]
    public void Every_corpus_policy_reads_back_as_it_was_declared()
    {
        var declared = CorpusPolicies.Read("default");

        foreach (var group in declared.GroupBy(p => p.Path))
        {
            var file = new ManifestFile(group.Key, "") { BlobId = "0123" };
            AssertSame([.. group], RoundTrip(file, [.. group]).Read!);
        }
    }

    [Fact]
    public void A_policy_without_a_served_spec_reads_back_to_the_same_policy()
    {
        var policy = ManifestReader.Read("a.yaml", Policy("a", 80), "default").Single();

        var back = RoundTrip(new ManifestFile("a.yaml", ""), [policy with { ServedDigest = null }]).Read!.Single();

        Assert.Null(back.ServedDigest);
        Assert.Null(back.ServedSpec);
        Assert.Equal(policy.Policy.Spec.Key, back.Policy.Spec.Key);
    }

    [Fact]
    public void A_plain_files_policy_keeps_its_digest_and_a_rendered_ones_its_served_spec_too()
    {
        var plain = ManifestReader.Read("a.yaml", Policy("a", 80), "default").Single();
        var rendered = ManifestReader.Read("a.yaml", Policy("a", 80), new ManifestReadOptions("default") { KeepServedSpec = true }).Single();

        var plainBack = RoundTrip(new ManifestFile("a.yaml", ""), [plain]).Read!.Single();
        var renderedBack = RoundTrip(new ManifestFile("a.yaml", "") { Source = "overlay", Rendered = true }, [rendered]).Read!.Single();

        Assert.NotNull(plain.ServedDigest);
        Assert.Equal(plain.ServedDigest, plainBack.ServedDigest);
        Assert.Null(plainBack.ServedSpec);
        Assert.Equal(plain.ServedDigest, renderedBack.ServedDigest);
        Assert.Equal(rendered.ServedSpec, renderedBack.ServedSpec);
    }

    [Theory]
    [InlineData("AAAA")]
    [InlineData("not base64!")]
    public void A_damaged_digest_is_refused_in_one_line(string digest)
    {
        var policy = ManifestReader.Read("a.yaml", Policy("a", 80), "default").Single();
        var line = Encoding.UTF8.GetString(Line(new ManifestFile("a.yaml", ""), [policy], out var parts));
        var damaged = System.Text.RegularExpressions.Regex.Replace(line, "\"digest\":\"[^\"]*\"", $"\"digest\":\"{digest}\"");
        Assert.NotEqual(line, damaged);

        var error = Assert.ThrowsAny<Exception>(() => PersistedManifest.Read(Encoding.UTF8.GetBytes(damaged), parts));

        Assert.True(error is JsonException or FormatException, error.GetType().Name);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Equal_parts_of_policies_in_different_files_are_written_once_and_read_back_as_one()
    {
        using var cache = new TempDirectory();
        var settings = new GitSettings { Repository = "https://git.example.com/p.git", CacheDirectory = cache.Path };
        var files = new[] { new ManifestFile("a.yaml", Policy("a", 80)) { BlobId = "b1" }, new ManifestFile("b.yaml", Policy("b", 80)) { BlobId = "b2" } };
        var persisted = new PersistedBaseline(settings);

        persisted.Save(BaselineLoader.Load(new string('a', 40), files, [], settings, DateTimeOffset.UnixEpoch), DateTimeOffset.UnixEpoch);
        var back = persisted.Load(DateTimeOffset.UnixEpoch)!.Baseline;

        Assert.Same(back.Find(new PolicyKey("shop", "a"))!.Policy.Spec, back.Find(new PolicyKey("shop", "b"))!.Policy.Spec);
        Assert.Same(back.Find(new PolicyKey("shop", "a"))!.Policy.Namespace, back.Find(new PolicyKey("shop", "b"))!.Policy.Namespace);
        var header = System.Text.Json.Nodes.JsonNode.Parse(File.ReadLines(persisted.FilePath).First())!;
        Assert.Equal(1, header["parts"]![Array.IndexOf(PersistedPartsReader.Sections, "specs")]!.GetValue<int>());
        Assert.Equal(1, File.ReadAllText(persisted.FilePath).Split("\"shop\"").Length - 1);
    }

    [Fact]
    public void A_policy_whose_parts_were_not_added_before_the_tables_were_written_cannot_be_written()
    {
        var policy = ManifestReader.Read("a.yaml", Policy("a", 80), "default").Single();
        var parts = new PersistedPartsWriter();
        parts.WriteTo(_ => { });
        using var buffer = new MemoryStream();
        using var writer = new System.Text.Json.Utf8JsonWriter(buffer);

        var error = Assert.Throws<InvalidOperationException>(() => PersistedManifest.Write(writer, new ManifestFile("a.yaml", ""), [policy], parts));

        Assert.Contains("not added before the tables were written", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_saved_baseline_loads_back_equal_with_its_renders_base_files_notices_and_sources()
    {
        using var cache = new TempDirectory();
        var settings = new GitSettings { Repository = "https://git.example.com/platform/policies.git", CacheDirectory = cache.Path };
        var plain = new ManifestFile("clusters/prod/labelled.yaml", Labelled) { BlobId = "b1", Source = "clusters/prod" };
        var rendered = new ManifestFile("apps/overlays/prod", "") { Rendered = true, Namespace = "shop", Source = "apps/overlays/prod" };
        var renderOptions = rendered.ReadOptions("default") with { OriginOf = name => $"apps/base/{name}.yaml" };
        rendered = rendered with { Read = ManifestReader.Read(rendered.Path, Policy("db", 5432) + "---\n" + Policy("web", 443), renderOptions) };
        var sources = new List<Git.Sources.SourceReport>
        {
            new("clusters/prod", "configured", "Plain", null, 1, null),
            new("apps/overlays/prod", "Flux Kustomization flux-system/apps", "Kustomize", 1.5, 2, null) { Provenance = "names" },
        };
        var loaded = BaselineLoader.Load(new string('a', 40), [plain, rendered], sources, settings, DateTimeOffset.UnixEpoch);
        var persisted = new PersistedBaseline(settings);

        persisted.Save(loaded, DateTimeOffset.UnixEpoch);
        var back = persisted.Load(DateTimeOffset.UnixEpoch)!;

        Assert.Equal(loaded.Baseline.Commit, back.Baseline.Commit);
        Assert.Equal(loaded.Baseline.Notices, back.Baseline.Notices);
        Assert.Single(back.Baseline.Notices);
        Assert.Equal(loaded.Sources, back.Sources);
        Assert.Equal(3, back.Baseline.Count);
        foreach (var entry in loaded.Baseline.Entries)
        {
            var restored = back.Baseline.Find(entry.Policy.Id)!;
            AssertSameEntry(entry, restored);
            Assert.Equal(loaded.Baseline.Location(entry), back.Baseline.Location(restored));
        }

        Assert.Equal("apps/base/db.yaml via apps/overlays/prod@aaaaaaa", back.Baseline.Location(back.Baseline.Find(new PolicyKey("shop", "db"))!));
        Assert.Equal(
            ["b1", null],
            back.Files.Select(f => f.BlobId));
    }

    [Fact]
    public void A_file_whose_line_is_longer_than_a_read_chunk_loads_back_whole()
    {
        using var cache = new TempDirectory();
        var settings = new GitSettings { Repository = "https://git.example.com/p.git", CacheDirectory = cache.Path };
        var list = "apiVersion: v1\nkind: List\nitems:\n" + string.Concat(Enumerable.Range(0, 20_000).Select(i =>
            $"- {{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {{name: p-{i}, namespace: shop, labels: {{team: platform-{i % 7}}}}}, spec: {{podSelector: {{matchLabels: {{app: app-{i}}}}}}}}}\n"));
        var loaded = BaselineLoader.Load(new string('a', 40), [new ManifestFile("all.yaml", list) { BlobId = "b1" }], [], settings, DateTimeOffset.UnixEpoch);
        var persisted = new PersistedBaseline(settings);

        persisted.Save(loaded, DateTimeOffset.UnixEpoch);
        var back = persisted.Load(DateTimeOffset.UnixEpoch)!;

        Assert.True(File.ReadAllLines(persisted.FilePath).Single(IsFileLine).Length > 1 << 20, "the file's line is longer than a read chunk");
        Assert.Equal(20_000, back.Baseline.Count);
        Assert.Equal("app-19999", back.Baseline.Find(new PolicyKey("shop", "p-19999"))!.Policy.Spec.PodSelector.MatchLabels[0].Value);
        foreach (var entry in loaded.Baseline.Entries)
        {
            AssertSameEntry(entry, back.Baseline.Find(entry.Policy.Id)!);
        }
    }

    [Fact]
    public void After_a_restart_the_next_commit_reads_only_the_files_that_changed()
    {
        using var repository = new GitRepository();
        using var cache = new TempDirectory();
        repository.Commit(new Dictionary<string, string> { ["a.yaml"] = Policy("a", 80), ["b.yaml"] = Policy("b", 80) });
        var settings = new GitSettings { Repository = repository.Path, CacheDirectory = cache.Path };
        var before = new GitBaselineSource(settings, TimeProvider.System);
        new PersistedBaseline(settings).Save(before.Load(before.Fetch(CancellationToken.None), DateTimeOffset.UtcNow), DateTimeOffset.UtcNow);

        var restarted = new GitBaselineSource(settings, TimeProvider.System);
        var restored = new PersistedBaseline(settings).Load(DateTimeOffset.UtcNow, restarted.Reused)!;
        var kept = restarted.Reused.File("a.yaml", restored.Files.Single(f => f.Path == "a.yaml").BlobId!);
        repository.Commit(new Dictionary<string, string> { ["b.yaml"] = Policy("b", 443) });
        var next = restarted.Load(restarted.Fetch(CancellationToken.None), DateTimeOffset.UtcNow);

        Assert.NotNull(kept);
        Assert.Null(kept.Read); // only the shared copies are kept, not what the line gave before sharing
        Assert.Same(restored.Baseline.Find(new PolicyKey("shop", "a"))!.Policy, next.Baseline.Find(new PolicyKey("shop", "a"))!.Policy);
        Assert.Equal("", next.Files.Single(f => f.Path == "a.yaml").Text);
        Assert.Contains("TCP/443", next.Baseline.Find(new PolicyKey("shop", "b"))!.Policy.Spec.Key, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cut", "the last line is cut short")]
    [InlineData("missing", "1 files expected, 0 found")]
    [InlineData("edited", "no \"policies\" in a file's line")]
    [InlineData("retyped", "InvalidOperationException: ")]
    [InlineData("reordered", "no part 0 in the selectors table")]
    [InlineData("inflated", " parts in 5 lines, which a file of ")]
    [InlineData("tampered", "its checksum does not match: the file was changed or damaged")]
    [InlineData("unchecked", "no checksum line: the file is cut short")]
    public void A_damaged_persisted_baseline_is_refused_in_one_line_naming_the_file(string damage, string problem)
    {
        using var cache = new TempDirectory();
        var settings = new GitSettings { Repository = "https://git.example.com/p.git", CacheDirectory = cache.Path };
        var file = new ManifestFile("a.yaml", Policy("a", 80)) { BlobId = "b1" };
        var persisted = new PersistedBaseline(settings);
        persisted.Save(BaselineLoader.Load(new string('a', 40), [file], [], settings, DateTimeOffset.UnixEpoch), DateTimeOffset.UnixEpoch);
        var lines = File.ReadAllLines(persisted.FilePath);
        var fileLine = Array.FindIndex(lines, IsFileLine);
        var before = string.Concat(lines[..fileLine].Select(line => line + "\n"));
        string Edited(string from, string to) => before + lines[fileLine].Replace(from, to, StringComparison.Ordinal) + "\n";
        File.WriteAllText(persisted.FilePath, damage switch
        {
            "cut" => before + lines[fileLine][..20],
            "missing" => before,
            "edited" => Edited("\"policies\"", "\"policy\""),
            "retyped" => Edited("\"document\":0", "\"document\":\"0\""),
            "reordered" => lines[0] + "\n" + lines[fileLine - 1] + "\n" + string.Concat(lines[1..(fileLine - 1)].Select(line => line + "\n")) + lines[fileLine] + "\n",
            "inflated" => System.Text.RegularExpressions.Regex.Replace(lines[0], "\"parts\":\\[\\d+", "\"parts\":[2000000000") + "\n" + string.Concat(lines[1..].Select(line => line + "\n")),
            "tampered" => Edited("\"name\":\"a\"", "\"name\":\"b\"") + lines[^1] + "\n",
            _ => before + lines[fileLine] + "\n",
        });

        var error = Assert.Throws<BaselineLoadException>(() => persisted.Load(DateTimeOffset.UnixEpoch));

        Assert.Equal(6, fileLine); // the header, then the strings, selectors, ports, rules and specs tables (no peers, no labels)
        Assert.StartsWith($"persisted baseline {persisted.FilePath} is unreadable: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    private static bool IsFileLine(string line) => line.StartsWith("{\"path\":", StringComparison.Ordinal);

    [Fact]
    public void Policies_of_a_list_and_of_a_later_document_read_back_with_their_own_locations()
    {
        const string Listed = """
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: first, namespace: shop}, spec: {podSelector: {}}}
            - {apiVersion: v1, kind: ConfigMap, metadata: {name: skipped}}
            - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: third, namespace: shop}, spec: {podSelector: {matchExpressions: [{key: tier, operator: Exists}]}, ingress: [{ports: [{port: web, protocol: SCTP}, {port: 8000, endPort: 8080}]}]}}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: later, namespace: shop}
            spec: {podSelector: {}, egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}]}
            """;
        var declared = ManifestReader.Read("shop/all.yaml", Listed, "default");

        var back = RoundTrip(new ManifestFile("shop/all.yaml", ""), declared).Read!;

        Assert.Equal(["shop/all.yaml: document 0 item 0", "shop/all.yaml: document 0 item 2", "shop/all.yaml: document 1"], back.Select(p => p.Location));
        AssertSame(declared, back);
    }

    private static ManifestFile RoundTrip(ManifestFile file, IReadOnlyList<DeclaredPolicy> policies) =>
        PersistedManifest.Read(Line(file, policies, out var parts), parts);

    /// <summary>The file's persisted line, and the part tables it refers to as read back.</summary>
    private static byte[] Line(ManifestFile file, IReadOnlyList<DeclaredPolicy> policies, out PersistedPartsReader read)
    {
        var parts = new PersistedPartsWriter();
        foreach (var policy in policies)
        {
            parts.Add(policy.Policy);
        }

        var partLines = new List<byte[]>();
        parts.WriteTo(line => partLines.Add(line.ToArray()));
        using var buffer = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            PersistedManifest.Write(writer, file, policies, parts);
        }

        read = new PersistedPartsReader(parts.Counts, partLines.Count, partLines.Sum(line => (long)line.Length));
        foreach (var line in partLines)
        {
            read.Begin(PersistedPartsReader.SectionOf(line));
            read.Read(line);
        }

        return buffer.ToArray();
    }

    private static void AssertSame(IReadOnlyList<DeclaredPolicy> expected, IReadOnlyList<DeclaredPolicy> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            AssertSamePolicy(e.Policy, a.Policy, e.Location);
            Assert.Equal((e.Path, e.DocumentIndex, e.Location, e.Via, e.Notice), (a.Path, a.DocumentIndex, a.Location, a.Via, a.Notice));
            Assert.Equal(e.ServedSpec, a.ServedSpec);
            Assert.Equal(e.ServedDigest, a.ServedDigest);
        }
    }

    private static void AssertSameEntry(BaselineEntry expected, BaselineEntry actual)
    {
        AssertSamePolicy(expected.Policy, actual.Policy, expected.SourcePath);
        Assert.Equal((expected.SourcePath, expected.DocumentIndex, expected.Via), (actual.SourcePath, actual.DocumentIndex, actual.Via));
        Assert.Equal(expected.ServedSpec, actual.ServedSpec);
        Assert.Equal(expected.ServedDigest, actual.ServedDigest);
    }

    private static void AssertSamePolicy(CanonicalPolicy expected, CanonicalPolicy actual, string where)
    {
        Assert.True(expected.Id == actual.Id, where);
        Assert.True(expected.Spec.Key == actual.Spec.Key, $"{where}:\n  declared {expected.Spec.Key}\n  restored {actual.Spec.Key}");
        Assert.Equal(expected.Spec, actual.Spec);
        Assert.Equal(expected.Labels, actual.Labels);
        Assert.Equal(expected.Annotations, actual.Annotations);
        Assert.Empty(actual.ManagedFields);
        Assert.Null(actual.Uid);
    }
}
