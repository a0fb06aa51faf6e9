using System.Text.Json;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;
using YamlDotNet.Core.Events;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>
/// The block-style reader gives each document exactly the JSON YamlDotNet's events and <see cref="YamlToJson"/> give it,
/// or gives up: it never reads a text differently, and never accepts one the reference reader refuses.
/// </summary>
public class BlockYamlToJsonTests
{
    private const string TypicalPolicy = """
        # svc-1: owned by team-1
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: svc-1
          namespace: team-1
          labels:
            app.kubernetes.io/part-of: team-1
        spec:
          podSelector:
            matchLabels:
              app: svc-1
          policyTypes: [Ingress, Egress]
          ingress:
          - from:
            - podSelector:
                matchLabels:
                  app: svc-2
            - namespaceSelector:
                matchLabels:
                  kubernetes.io/metadata.name: monitoring
              podSelector: {}
            ports:
            - port: 8080
            - port: 53
              protocol: UDP
          egress:
            - to:
                - ipBlock:
                    cidr: "10.1.0.0/16"
                    except: ["10.1.255.0/24", '10.1.254.0/24']
              ports:
                - port: 443   # TLS only
                  endPort: 0x1BB

        """;

    private const string TwoDocumentsAndAList = """
        ---
        apiVersion: v1
        kind: List
        items:
        - apiVersion: networking.k8s.io/v1
          kind: NetworkPolicy
          metadata: {name: a, namespace: shop}
          spec:
            podSelector: {}
        - kind: ConfigMap
          data:
            quoted: 'it''s'
            number-like: "0443"
            empty:
            yes-word: yes
        ---
        # only a comment
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: b
        spec:
          podSelector:
            matchExpressions:
            - key: tier
              operator: In
              values: [web, api]
        """;

    /// <summary>An application's file: the documents a baseline's read only checks, then its policy.</summary>
    private const string AppManifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: checkout
          labels: {app: checkout}
        spec:
          replicas: 2
          template:
            spec:
              containers:
              - name: checkout
                image: registry.example.com/checkout:1.4
                ports:
                - containerPort: 8080
        ---
        apiVersion: v1
        kind: Service   # in front of it
        metadata: {name: checkout}
        spec:
          ports:
          - port: 80
            targetPort: 8080
        ---
        kind: ConfigMap
        apiVersion: v1
        data:
          FLAGS: 'new-cart,fast-pay'
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: checkout, namespace: shop}
        spec:
          podSelector:
            matchLabels: {app: checkout}
          ingress:
          - ports:
            - port: 8080
        """;

    /// <summary>Texts the block-style reader must read itself (so a change that makes it give up on them fails), and texts it must leave.</summary>
    public static TheoryData<string, string, bool> Texts => new()
    {
        { "a typical policy", TypicalPolicy, true },
        { "documents, an empty one and a List", TwoDocumentsAndAList, true },
        { "an application's file", AppManifest, true },
        { "an empty text", "", true },
        { "only comments", "# nothing here\n  # still nothing\n", true },
        { "a trailing separator makes an empty document", "a: 1\n---\n", true },
        { "a separator with a comment", "--- # first\na: 1\n", true },
        { "a sequence at its key's indent", "a:\n- 1\n- two\nb: c\n", true },
        { "a key with nothing after it is null", "a:\nb: # just a comment\n", true },
        { "colons and hashes inside plain scalars", "a: http://x:80/#top\nb: c#d\n", true },
        { "plain scalars with flow characters in block context", "a: x[0]\nb: c}d\n", true },
        { "negative numbers and dashes", "a: -1\nb: -x\nc: 1-2\n", true },
        { "a mapping indented below a sequence item", "a:\n  - b: 1\n    c:\n      d: 2\n  - e\n", true },
        { "a root mapping indented", "  a: 1\n  b: 2\n", true },
        { "an anchor and alias", "a: &x 1\nb: *x\n", false },
        { "a tag", "a: !!str 80\n", false },
        { "a block scalar", "a: |\n  text\n", false },
        { "a multi-line plain scalar", "a: one\n  two\n", false },
        { "an escape in double quotes", "a: \"x\\ty\"\n", false },
        { "a quoted key", "\"a\": 1\n", false },
        { "a merge key", "a: {x: 1}\nb:\n  <<: {y: 2}\n", false },
        { "a repeated key", "a: 1\na: 2\n", false },
        { "a tab", "a:\t1\n", false },
        { "CRLF line ends", "a: 1\r\nb: 2\r\n", false },
        { "non-ASCII text", "a: caf\u00e9\n", false },
        { "a document end marker", "a: 1\n...\n", false },
        { "a directive", "%YAML 1.1\n---\na: 1\n", false },
        { "a sequence at the root", "- a\n- b\n", false },
        { "a nested flow collection", "a: [[1]]\n", false },
        { "a flow collection over two lines", "a: [1,\n  2]\n", false },
        { "a mapping value after a mapping value", "a: b: c\n", false },
        { "a line indented between two levels", "a:\n    b: 1\n  c: 2\n", false },
        { "JSON", "{\"a\": 1}\n", false },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Reads_a_text_as_the_reference_reader_does_or_leaves_it(string behaviour, string text, bool read)
    {
        var block = Block(text);

        Assert.True(read == block is not null, $"{behaviour}: expected the block-style reader to {(read ? "read" : "leave")} it");
        if (block is not null)
        {
            Assert.Equal(Reference(text), block);
        }
    }

    /// <summary>A document of as many nodes as <see cref="YamlToJson.MaxNodes"/> is read; one more is the reference reader's error, root included.</summary>
    [Theory]
    [InlineData("block sequence", "a:\n", "- 0\n", "")]
    [InlineData("flow sequence", "a: [", "0,", "0]\n")]
    [InlineData("root keys", "", "k{0}: 0\n", "")]
    public void The_node_budget_ends_where_the_reference_readers_does(string shape, string head, string item, string tail)
    {
        // Within the budget: the root, the value of a, and the items (or the root and its keys' values).
        var within = YamlToJson.MaxNodes - (head.Length > 0 ? 2 : 1);
        string Text(int items) => head + string.Concat(Enumerable.Range(0, items - (tail.Length > 0 ? 1 : 0)).Select(i => string.Format(System.Globalization.CultureInfo.InvariantCulture, item, i))) + tail;

        var (fits, over) = (Text(within), Text(within + 1));

        Assert.True(ReferenceOrError(fits).Error is null, $"{shape}: the reference reader refused {within} items: {ReferenceOrError(fits).Error}");
        Assert.Equal(Reference(fits), Block(fits));
        Assert.Contains("more than 100000 nodes", ReferenceOrError(over).Error ?? "(read)", StringComparison.Ordinal);
        Assert.True(Block(over) is null, $"{shape}: the block-style reader read {within + 1} items, which the reference reader refuses");
    }

    [Fact]
    public void Only_the_documents_whose_kind_may_declare_a_policy_are_converted_when_asked()
    {
        const string Text = """
            kind: Service
            metadata: {name: a}
            ---
            kind: Deployment   # the app
            ---
            kind: yes
            ---
            kind: "Service"
            ---
            kind: NetworkPolicy # the guard's
            ---
            kind: List
            items: []
            ---
            kind: NetworkPolicyList
            items: []
            ---
            metadata: {name: no-kind}
            ---
            kind: Net-Policy
            """;

        var documents = Block(Text, policiesOnly: true);

        Assert.Equal(
            [null, null, null, """{"kind":"Service"}""", """{"kind":"NetworkPolicy"}""", """{"kind":"List","items":[]}""", """{"kind":"NetworkPolicyList","items":[]}""", """{"metadata":{"name":"no-kind"}}""", """{"kind":"Net-Policy"}"""],
            documents!);
        Assert.Equal(Reference(Text), Block(Text)!);
        Assert.Null(Block(Text.Replace("name: a", "name: &a a", StringComparison.Ordinal), policiesOnly: true));
        Assert.Null(Block(Text.Replace("kind: Deployment", "kind: Deployment\nkind: Pod", StringComparison.Ordinal), policiesOnly: true));
        Assert.Equal([null, null, null, Block(AppManifest)![3]], Block(AppManifest, policiesOnly: true)!);
    }

    /// <summary>go-yaml v2's (YAML 1.1) words for null and the booleans, and scalars that are only like them.</summary>
    [Theory]
    [InlineData("~ null Null NULL", "null")]
    [InlineData("true True TRUE y Y yes Yes YES on On ON", "true")]
    [InlineData("false False FALSE n N no No NO off Off OFF", "false")]
    [InlineData("nULL tRUE yES oN Yess offf Nope ~x y1 falsey", null)]
    public void Plain_words_are_typed_as_kubectl_types_them(string words, string? json)
    {
        foreach (var word in words.Split(' '))
        {
            Assert.Equal([$$"""{"a":{{json ?? JsonSerializer.Serialize(word)}}}"""], Block($"a: {word}\n")!);
        }
    }

    [Fact]
    public void A_typical_policy_reads_to_the_expected_JSON()
    {
        var block = Block("a: [Ingress, 'x y', \"80\"]\nb: {}\nc:\n  d: 0443\n  e: ~\n  f: on\n");

        Assert.Equal(["""{"a":["Ingress","x y","80"],"b":{},"c":{"d":291,"e":null,"f":true}}"""], block!);
    }

    [Fact]
    public void Documents_before_and_after_a_large_one_read_as_the_reference_reader_reads_them()
    {
        var large = "items:\n" + string.Concat(Enumerable.Range(0, 5_000).Select(i => $"- name: item-{i}\n  port: {i}\n"));
        var text = "a: 1\n---\n" + large + "---\nb: [x, z]\n---\n" + large + "---\nc: {}\n";
        var documents = BlockYamlToJson.TryConvert(text);
        Assert.NotNull(documents);
        try
        {
            var json = documents.Select(document => document?.RootElement.GetRawText()).ToList();
            Assert.True(json[1]!.Length > 64 * 1024, $"the large document is {json[1]!.Length} characters of JSON");
            Assert.Equal(Reference(text), json);
            Assert.Equal(["""{"a":1}""", """{"b":["x","z"]}""", """{"c":{}}"""], new List<string?> { json[0], json[2], json[4] });
        }
        finally
        {
            documents.Dispose();
        }

        Assert.Equal(["""{"d":2}"""], Block("d: 2\n")!);
    }

    [Fact]
    public void The_repositorys_own_YAML_files_read_as_the_reference_reader_reads_them()
    {
        var files = Directory.EnumerateFiles(RepositoryRoot.Path, "*.yaml", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        var read = AssertSameAsReference(files);

        Assert.True(files.Count >= 20, $"only {files.Count} YAML files found under {RepositoryRoot.Path}");
        Assert.True(read * 2 >= files.Count, $"the block-style reader read only {read} of {files.Count} files");
    }

    [SkippableFact]
    public void The_corpus_and_GitOps_repositories_read_as_the_reference_reader_reads_them()
    {
        var files = SharedYamlFiles();

        var read = AssertSameAsReference(files);

        Assert.True(read * 2 >= files.Count, $"the block-style reader read only {read} of {files.Count} files");
    }

    /// <summary>
    /// Small random edits of texts it reads (a character from YAML's syntax put in or taken out, a line indented or moved):
    /// whatever the block-style reader still reads, the reference reader reads the same, and refuses none of it.
    /// </summary>
    [Fact]
    public void Edited_texts_are_read_as_the_reference_reader_reads_them_or_left()
    {
        var read = AssertEditsReadAsReference([TypicalPolicy, TwoDocumentsAndAList, AppManifest, "a:\n- 1\n- b: [x, y]\n  c: {d: e}\n"], 20_000);

        Assert.True(read >= 2_000, $"only {read} edited texts were read by the block-style reader");
    }

    /// <summary>The same, from the real-world files of <c>../shared</c> that the block-style reader reads.</summary>
    [SkippableFact]
    public void Edited_corpus_and_GitOps_files_are_read_as_the_reference_reader_reads_them_or_left()
    {
        var seeds = SharedYamlFiles()
            .Select(File.ReadAllText)
            .Where(text => text.Length < 20_000 && Block(text) is not null)
            .ToArray();

        var read = AssertEditsReadAsReference(seeds, 30_000);

        Assert.True(seeds.Length >= 100, $"only {seeds.Length} files of ../shared are read by the block-style reader");
        Assert.True(read >= 3_000, $"only {read} edited texts were read by the block-style reader");
    }

    /// <returns>How many of the edited texts the block-style reader read.</returns>
    private static int AssertEditsReadAsReference(string[] seeds, int edits)
    {
        const string Alphabet = " -:#'\"[]{},&*!|>?%@`\n\\~.0xyes";
        var random = new Random(20261207);
        var (read, differing) = (0, new List<string>());
        for (var attempt = 0; attempt < edits && differing.Count < 5; attempt++)
        {
            var text = Edit(seeds[attempt % seeds.Length], random, Alphabet);
            for (var more = random.Next(3); more > 0; more--)
            {
                text = Edit(text, random, Alphabet);
            }

            var block = Block(text);
            if (PoliciesOnlyDisagrees(text, block) is { } disagreement)
            {
                differing.Add(disagreement);
            }

            if (block is null)
            {
                continue;
            }

            read++;
            var reference = ReferenceOrError(text);
            if (reference.Error is not null || !reference.Documents!.SequenceEqual(block))
            {
                differing.Add($"{JsonSerializer.Serialize(text)}: {reference.Error ?? string.Join(" | ", reference.Documents!)} against {string.Join(" | ", block)}");
            }
        }

        Assert.True(differing.Count == 0, string.Join("\n", differing));
        return read;
    }

    [Fact]
    public void A_policy_read_in_the_block_style_is_the_policy_the_reference_reader_reads()
    {
        var fast = ManifestReader.Read("team-1/svc-1.yaml", TypicalPolicy, "default");
        var reference = ManifestReader.Read("team-1/svc-1.yaml", TypicalPolicy + "---\nunused: &anchor x\n", "default");

        Assert.NotNull(Block(TypicalPolicy));
        Assert.Null(Block(TypicalPolicy + "---\nunused: &anchor x\n"));
        var (expected, actual) = (reference.Single().Policy, fast.Single().Policy);
        Assert.Equal((expected.Namespace, expected.Name, expected.Spec), (actual.Namespace, actual.Name, actual.Spec));
        Assert.Equal(expected.Labels, actual.Labels);
        Assert.Equal(expected.Annotations, actual.Annotations);
        Assert.Equal(reference.Single().ServedSpec, fast.Single().ServedSpec);
        Assert.Equal("team-1/svc-1.yaml: document 0", fast.Single().Location);
    }

    [Fact]
    public void An_invalid_policy_in_the_block_style_is_located_by_line_as_before()
    {
        var text = TypicalPolicy.Replace("protocol: UDP", "protocol: SCTPX", StringComparison.Ordinal);

        var e = Assert.Throws<ManifestException>(() => ManifestReader.Read("team-1/svc-1.yaml", text, "default"));

        Assert.NotNull(Block(text));
        Assert.StartsWith("team-1/svc-1.yaml: document 0: line 26, column ", e.Message, StringComparison.Ordinal);
        Assert.Contains("SCTPX", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_List_and_the_document_after_an_empty_one_keep_their_places()
    {
        var policies = ManifestReader.Read("all.yaml", TwoDocumentsAndAList, "default");

        Assert.Equal(["all.yaml: document 0 item 0", "all.yaml: document 2"], policies.Select(policy => policy.Location));
        Assert.Equal(["shop/a", "default/b"], policies.Select(policy => $"{policy.Policy.Namespace}/{policy.Policy.Name}"));
    }

    /// <summary>The YAML files of <c>../shared/corpus</c> and <c>../shared/gitops-repos</c>; a skip without them.</summary>
    private static List<string> SharedYamlFiles() =>
        new[] { "corpus", "gitops-repos" }
            .Select(Prerequisite.SharedFolder)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories))
            .Where(file => file.EndsWith(".yaml", StringComparison.Ordinal) || file.EndsWith(".yml", StringComparison.Ordinal))
            .ToList();

    private static int AssertSameAsReference(IReadOnlyList<string> files)
    {
        var read = 0;
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var block = Block(text);
            Assert.Null(PoliciesOnlyDisagrees(text, block));
            if (block is not null)
            {
                read++;
                var reference = ReferenceOrError(text);
                Assert.True(reference.Error is null, $"{file}: the block-style reader read what the reference reader refuses: {reference.Error}");
                Assert.True(reference.Documents!.SequenceEqual(block), $"{file}: {string.Join(" | ", reference.Documents!)} against {string.Join(" | ", block)}");
            }
        }

        return read;
    }

    private static string Edit(string text, Random random, string alphabet)
    {
        var lines = text.Split('\n').ToList();
        var line = random.Next(lines.Count);
        var at = random.Next(text.Length + 1);
        switch (random.Next(5))
        {
            case 0:
                return text.Insert(at, alphabet[random.Next(alphabet.Length)].ToString());
            case 1:
                return at < text.Length ? text.Remove(at, 1) : text;
            case 2:
                lines[line] = new string(' ', random.Next(1, 3)) + lines[line];
                break;
            case 3:
                lines[line] = lines[line].StartsWith(' ') ? lines[line][1..] : lines[line];
                break;
            default:
                var moved = lines[line];
                lines.RemoveAt(line);
                lines.Insert(random.Next(lines.Count + 1), moved);
                break;
        }

        return string.Join('\n', lines);
    }

    /// <summary>
    /// Where reading only the documents that may declare policies differs from reading them all: it must give up on the
    /// same texts, and leave out only documents whose kind is none that declares a NetworkPolicy.
    /// </summary>
    private static string? PoliciesOnlyDisagrees(string text, List<string?>? all)
    {
        var policiesOnly = Block(text, policiesOnly: true);
        if (policiesOnly is null || all is null)
        {
            return (policiesOnly is null) == (all is null) ? null : $"{JsonSerializer.Serialize(text)}: read with policies only: {policiesOnly is not null}, without: {all is not null}";
        }

        for (var index = 0; index < all.Count; index++)
        {
            var leftOut = policiesOnly[index] is null && all[index] is not null;
            if (leftOut ? MayDeclarePolicies(all[index]!) : policiesOnly[index] != all[index])
            {
                return $"{JsonSerializer.Serialize(text)}: document {index} is {policiesOnly[index] ?? "left out"} with policies only, {all[index]} without";
            }
        }

        return null;
    }

    private static bool MayDeclarePolicies(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String
            && ManifestReader.MayDeclarePolicies(kind.GetString());
    }

    private static List<string?>? Block(string text, bool policiesOnly = false)
    {
        var documents = BlockYamlToJson.TryConvert(text, policiesOnly);
        try
        {
            return documents?.Select(document => document?.RootElement.GetRawText()).ToList();
        }
        finally
        {
            documents?.Dispose();
        }
    }

    private static List<string?> Reference(string text) =>
        ReferenceOrError(text) is { Error: null, Documents: { } documents } ? documents : throw new InvalidOperationException(ReferenceOrError(text).Error);

    /// <summary>What <see cref="ManifestReader"/> reads without the block-style reader: each document's JSON when its root is a mapping.</summary>
    private static (List<string?>? Documents, string? Error) ReferenceOrError(string text)
    {
        try
        {
            var nodes = YamlNodes.Parse(text, []);
            return (nodes.Documents.Select(root => nodes[nodes.Resolve(root)] is MappingStart ? Json(nodes, nodes.Resolve(root)) : null).ToList(), null);
        }
        catch (Exception e) when (ManifestReader.IsYamlFailure(e) || e is JsonException)
        {
            return (null, e.Message);
        }
    }

    private static string Json(YamlNodes nodes, int root)
    {
        using var document = YamlToJson.Convert(nodes, root);
        return document.RootElement.GetRawText();
    }
}
