using System.Text.Json;
using System.Text.Json.Nodes;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>
/// Real-world NetworkPolicies (../shared/corpus, described in its SOURCES.md): all of them were accepted by a
/// real API server, so every one must load, and must equal what the API server makes of it (no false denials).
/// </summary>
public class CorpusTests
{
    private static readonly string Corpus = Path.Combine(RepositoryRoot.Shared, "corpus");

    public static TheoryData<string> Files()
    {
        var rows = new TheoryData<string>();
        if (!Prerequisite.HasSharedFolder("corpus"))
        {
            rows.Add(Prerequisite.AbsentRow);
            return rows;
        }

        foreach (var file in CorpusFiles())
        {
            rows.Add(file);
        }

        return rows;
    }

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void Corpus_file_loads_and_each_policy_equals_itself_as_the_API_server_serves_it(string file)
    {
        Prerequisite.SharedFolder("corpus");
        var text = File.ReadAllText(Path.Combine(Corpus, file));
        var ns = NamespaceFor(file);

        var declared = ManifestReader.Read(file, text, ns);
        var served = ServedObjects(text).Select(json => Read(json, ns)).ToList();

        Assert.NotEmpty(declared);
        Assert.Equal(served.Count, declared.Count);
        for (var i = 0; i < declared.Count; i++)
        {
            Assert.Equal(served[i].Id, declared[i].Policy.Id);
            Assert.True(
                served[i].Spec.Key == declared[i].Policy.Spec.Key,
                $"{file} {declared[i].Location}:\n  Git    {declared[i].Policy.Spec.Key}\n  served {served[i].Spec.Key}");
        }
    }

    [SkippableFact]
    public void Corpus_holds_a_substantial_number_of_policies()
    {
        Prerequisite.SharedFolder("corpus");
        var files = CorpusFiles();
        var policies = files.SelectMany(f => ManifestReader.Read(f, File.ReadAllText(Path.Combine(Corpus, f)), NamespaceFor(f))).ToList();

        // SOURCES.md: 80 files, 122 NetworkPolicy documents, 118 distinct namespace/name objects.
        Assert.True(files.Count >= 80, $"{files.Count} files");
        Assert.True(policies.Count >= 122, $"{policies.Count} policies");
        Assert.True(policies.Select(p => p.Policy.Id).Distinct().Count() >= 118);
        Assert.Contains(policies, p => p.Policy.Spec.Egress.Length > 0);
        Assert.Contains(policies, p => p.Policy.Spec.Ingress.Any(r => r.Ports.Any(port => port.Name is not null)));
        Assert.Contains(policies, p => p.Policy.Spec.Ingress.Concat(p.Policy.Spec.Egress).Any(r => r.Ports.Any(port => port.EndPort is not null)));
    }

    /// <summary>
    /// np-guard names these test files "bad" for its analyzer (a named port "abc" no pod defines, also on an
    /// ipBlock peer; two documents declaring the same policy), not because the API server rejects them: it
    /// accepted all three (SOURCES.md). The files it rejected were left out of the corpus; their errors are
    /// reproduced as rows of <see cref="ManifestReaderTests.Errors"/>, each located by field path.
    /// </summary>
    [SkippableTheory]
    [InlineData("np-guard__netpol-analyzer/bad_netpols-subdir5.yaml", 1, "TCP/abc")]
    [InlineData("np-guard__netpol-analyzer/bad_netpols-subdir6.yaml", 1, "TCP/abc")]
    [InlineData("np-guard__netpol-analyzer/np_bad_path_test_1.yaml", 2, "TCP/9090")]
    public void Files_np_guard_calls_bad_are_valid_NetworkPolicies(string file, int count, string port)
    {
        Prerequisite.SharedFolder("corpus");
        var policies = ManifestReader.Read(file, File.ReadAllText(Path.Combine(Corpus, file)), NamespaceFor(file));

        Assert.Equal(count, policies.Count);
        Assert.Contains(policies, p => p.Policy.Spec.Ingress.Concat(p.Policy.Spec.Egress).Any(r => r.Ports.Any(x => x.Text == port)));
    }

    [SkippableFact]
    public void Two_documents_of_one_corpus_file_declare_the_same_policy()
    {
        Prerequisite.SharedFolder("corpus");
        // A baseline must refuse such a commit (README.md, "The Git baseline"); reading the file reports both.
        const string file = "np-guard__netpol-analyzer/np_bad_path_test_1.yaml";

        var policies = ManifestReader.Read(file, File.ReadAllText(Path.Combine(Corpus, file)), "default");

        Assert.Equal(2, policies.Count);
        Assert.Equal(policies[0].Policy.Id, policies[1].Policy.Id);
        Assert.NotEqual(policies[0].DocumentIndex, policies[1].DocumentIndex);
        Assert.NotEqual(policies[0].Policy.Spec, policies[1].Policy.Spec);
    }

    private static List<string> CorpusFiles() =>
        [.. Directory.EnumerateFiles(Corpus, "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Corpus, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    /// <summary>SOURCES.md: files without a namespace were applied in the corpus folder's name, lower-cased, '_' as '-'.</summary>
    private static string NamespaceFor(string file) => file.Split('/')[0].ToLowerInvariant().Replace('_', '-');

    private static CanonicalPolicy Read(JsonObject json, string ns)
    {
        using var document = JsonDocument.Parse(json.ToJsonString());
        return PolicyReader.Read(document.RootElement, defaultNamespace: ns);
    }

    /// <summary>Every NetworkPolicy of a manifest file in file order, as the API server would hand it to the webhook.</summary>
    private static List<JsonObject> ServedObjects(string text)
    {
        var nodes = YamlNodes.Parse(text, []);
        var result = new List<JsonObject>();
        foreach (var root in nodes.Documents.Where(d => nodes[d] is YamlDotNet.Core.Events.MappingStart))
        {
            using var json = YamlToJson.Convert(nodes, root);
            var node = JsonNode.Parse(json.RootElement.GetRawText())!.AsObject();
            var items = (string?)node["kind"] is "List" or "NetworkPolicyList" ? (node["items"] as JsonArray ?? []).OfType<JsonObject>() : [node];
            result.AddRange(items.Where(item => (string?)item["kind"] == "NetworkPolicy").Select(ApiServerDefaults.Apply));
        }

        return result;
    }
}
