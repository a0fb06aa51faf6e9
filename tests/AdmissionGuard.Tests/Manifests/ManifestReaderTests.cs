using AdmissionGuard.Git;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>Reading Git manifests: which documents count, where each policy came from, and located errors.</summary>
public class ManifestReaderTests
{
    private const string Path = "policies/shop.yaml";

    [Fact]
    public void Multi_document_YAML_yields_each_NetworkPolicy_with_its_document_index()
    {
        const string yaml = """
            # shop namespace policies
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: deny-all
              namespace: shop
            spec:
              podSelector: {}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
            data:
              port: "80"
            ---
            ---
            # only a comment
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata:
              name: allow-web
            spec:
              podSelector:
                matchLabels:
                  app: web
              ingress:
              - ports:
                - port: 80
            ---
            """;

        var policies = ManifestReader.Read(Path, yaml, "fallback");

        Assert.Collection(
            policies,
            p =>
            {
                Assert.Equal("shop/deny-all", p.Policy.Id.ToString());
                Assert.Equal(0, p.DocumentIndex);
                Assert.Equal("policies/shop.yaml: document 0", p.Location);
            },
            p =>
            {
                Assert.Equal("fallback/allow-web", p.Policy.Id.ToString());
                Assert.Equal(4, p.DocumentIndex);
                Assert.Equal(Path, p.Path);
                Assert.Equal("TCP/80", Assert.Single(Assert.Single(p.Policy.Spec.Ingress).Ports).Text);
            });
    }

    [Theory]
    [InlineData("List")]
    [InlineData("NetworkPolicyList")]
    public void List_yields_its_NetworkPolicy_items_and_skips_other_kinds(string kind)
    {
        var yaml = $$$"""
            apiVersion: v1
            kind: {{{kind}}}
            items:
            - apiVersion: networking.k8s.io/v1
              kind: NetworkPolicy
              metadata: {name: a, namespace: shop}
              spec: {podSelector: {}}
            - apiVersion: v1
              kind: Service
              metadata: {name: web}
            - apiVersion: networking.k8s.io/v1
              kind: NetworkPolicy
              metadata: {name: b}
              spec: {podSelector: {}, policyTypes: [Egress]}
            """;

        var policies = ManifestReader.Read(Path, yaml, "default");

        Assert.Equal(["shop/a", "default/b"], policies.Select(p => p.Policy.Id.ToString()).ToArray());
        Assert.All(policies, p => Assert.Equal(0, p.DocumentIndex));
        Assert.Equal("policies/shop.yaml: document 0 item 2", policies[1].Location);
    }

    [Fact]
    public void Merge_keys_are_read_as_kubectl_reads_them_including_a_merged_kind()
    {
        const string yaml = """
            apiVersion: v1
            kind: List
            items:
              - &base
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: api, namespace: shop, labels: &team {team: shop}}
                spec: {podSelector: {matchLabels: {<<: *team, app: api}}}
              - <<: *base
                metadata: {name: web, namespace: shop}
                spec: {podSelector: {matchLabels: {<<: *team, app: web}}}
            """;

        var policies = ManifestReader.Read("shop/policies.yaml", yaml, "default");

        Assert.Equal(["shop/api", "shop/web"], policies.Select(p => p.Policy.Id.ToString()));
        Assert.Equal("app=web,team=shop", policies[1].Policy.Spec.PodSelector.Text);
    }

    [Fact]
    public void JSON_manifest_is_read()
    {
        const string json = """
            {
              "apiVersion": "networking.k8s.io/v1",
              "kind": "NetworkPolicy",
              "metadata": {"name": "web", "namespace": "shop"},
              "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [{"port": 8080, "protocol": "UDP"}]}]}
            }
            """;

        var policy = Assert.Single(ManifestReader.Read("policies/web.json", json, "default"));

        Assert.Equal("shop/web", policy.Policy.Id.ToString());
        Assert.Equal("UDP/8080", Assert.Single(Assert.Single(policy.Policy.Spec.Ingress).Ports).Text);
    }

    [Theory]
    [InlineData("empty file", "")]
    [InlineData("only whitespace", "  \n\n")]
    [InlineData("only comments", "# nothing here\n# yet\n")]
    [InlineData("only separators", "---\n---\n")]
    [InlineData("other kinds only", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")]
    [InlineData("a document without kind", "apiVersion: v1\nmetadata: {name: shop}\n")]
    public void Files_without_NetworkPolicies_yield_none(string behaviour, string text)
    {
        Assert.True(ManifestReader.Read(Path, text, "default").Count == 0, behaviour);
    }

    [Theory]
    [InlineData("plain number is a port number", "80", null)]
    [InlineData("quoted number is a string, which is not a valid port name", "\"80\"", "invalid port name \"80\"")]
    [InlineData("single-quoted number is a string too", "'80'", "invalid port name \"80\"")]
    [InlineData("plain name is a named port", "http", null)]
    [InlineData("explicit string tag makes a number a string", "!!str 80", "invalid port name \"80\"")]
    public void Port_scalars_are_typed_as_kubectl_types_them(string behaviour, string port, string? error)
    {
        var yaml = $"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {"{"}name: web{"}"}
            spec:
              ingress:
              - ports:
                - port: {port}
            """;

        if (error is null)
        {
            var policy = Assert.Single(ManifestReader.Read(Path, yaml, "default"));
            Assert.NotEmpty(Assert.Single(policy.Policy.Spec.Ingress).Ports);
        }
        else
        {
            var e = Assert.Throws<ManifestException>(() => ManifestReader.Read(Path, yaml, "default"));
            Assert.True(e.Message.Contains(error, StringComparison.Ordinal), $"{behaviour}: {e.Message}");
            Assert.Contains("spec.ingress[0].ports[0].port", e.Problem);
        }
    }

    public static TheoryData<string, string, int, string> Errors => new()
    {
        {
            "YAML syntax error in the second document",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: b\n spec: {}\n",
            1,
            "line "
        },
        {
            "unclosed flow mapping in the first document",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a\n---\nkind: ConfigMap\n",
            0,
            "line "
        },
        {
            "duplicate key in the third document",
            "kind: ConfigMap\n---\nkind: Secret\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {}\nspec: {}\n",
            2,
            "line "
        },
        {
            "invalid policy names the field",
            "kind: ConfigMap\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  ingress:\n  - ports:\n    - port: 70000\n",
            1,
            "spec.ingress[0].ports[0].port: must be a port number between 1 and 65535, not 70000"
        },
        {
            "old apiVersion of NetworkPolicy",
            "apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {}\n",
            0,
            "apiVersion: NetworkPolicy must be networking.k8s.io/v1, not \"extensions/v1beta1\""
        },
        {
            "missing apiVersion",
            "kind: NetworkPolicy\nmetadata: {name: a}\nspec: {}\n",
            0,
            "apiVersion: NetworkPolicy must be networking.k8s.io/v1"
        },
        {
            "missing name",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: shop}\nspec: {}\n",
            0,
            "metadata.name: required"
        },
        {
            "invalid List item names the item",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: a}\n  spec: {}\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: {name: b}\n  spec: {podSelector: \"app=web\"}\n",
            0,
            "items[1].spec.podSelector: must be a mapping, not a string"
        },
        {
            "label value a YAML number",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  podSelector:\n    matchLabels:\n      version: 2\n",
            0,
            "spec.podSelector.matchLabels.version: must be a string, not the number 2"
        },
        {
            "label value a YAML 1.1 boolean",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  podSelector:\n    matchLabels:\n      enabled: yes\n",
            0,
            "not the boolean true"
        },
        {
            "ipBlock combined with another peer, as np-guard's bad_netpols/subdir3",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n      podSelector: {}\n",
            0,
            "spec.ingress[0].from[0]: ipBlock may not be combined"
        },
        {
            "CIDR that is not one, as np-guard's bad_netpols/subdir1",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  ingress:\n  - {}\n  - {}\n  - from:\n    - ipBlock: {cidr: A}\n",
            0,
            "spec.ingress[2].from[0].ipBlock.cidr: invalid CIDR \"A\""
        },
        {
            "endPort with a named port, as np-guard's np_bad_path_test_2",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  ingress:\n  - {}\n  - ports:\n    - {port: http, endPort: 10000}\n",
            0,
            "spec.ingress[1].ports[0].endPort"
        },
        {
            "endPort below port, as np-guard's np_test_with_empty_port_range",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  egress:\n  - ports:\n    - {port: 5}\n    - {port: 20, endPort: 10}\n",
            0,
            "spec.egress[0].ports[1].endPort"
        },
        {
            "empty peer, as np-guard's bad_netpols/subdir4",
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec:\n  ingress:\n  - from:\n    - {}\n",
            0,
            "spec.ingress[0].from[0]: must specify a peer"
        },
    };

    private const string Policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n";

    /// <summary>What kubectl's strict field validation and the API server's validation refuse, located by line and column.</summary>
    public static TheoryData<string, string, string> Strict => new()
    {
        { "misspelt spec at the top level", Policy + "metadata: {name: a}\nspce:\n  podSelector: {}\n", "line 4, column 1: spce: unknown field \"spce\" (did you mean \"spec\"?)" },
        { "misspelt metadata field", Policy + "metadata:\n  name: a\n  namesapce: shop\n", "line 5, column 3: metadata.namesapce: unknown field \"namesapce\" (did you mean \"namespace\"?)" },
        { "misspelt field deep in the spec", Policy + "metadata: {name: a}\nspec:\n  ingress:\n  - from:\n    - podSelectr: {}\n", "line 7, column 7: spec.ingress[0].from[0].podSelectr: unknown field \"podSelectr\" (did you mean \"podSelector\"?)" },
        { "field of an egress rule in an ingress rule", Policy + "metadata: {name: a}\nspec:\n  ingress:\n  - to: []\n", "spec.ingress[0].to: unknown field \"to\" (known here: from, ports)" },
        { "field with the wrong case", Policy + "metadata: {name: a}\nspec:\n  PodSelector: {}\n", "spec.PodSelector: unknown field \"PodSelector\" (did you mean \"podSelector\"?)" },
        { "unknown field of a List item", "apiVersion: v1\nkind: List\nitems:\n- " + Policy.Replace("\n", "\n  ", StringComparison.Ordinal) + "metadata: {name: a}\n  sepc: {}\n", "line 7, column 3: items[0].sepc: unknown field \"sepc\" (did you mean \"spec\"?)" },
        { "field given twice in metadata", Policy + "metadata:\n  name: a\n  name: b\n", "line 5" },
        { "unsubstituted variable in a label value", Policy + "metadata: {name: a}\nspec:\n  podSelector:\n    matchLabels: {app: \"${APP}\"}\n", "line 6, column 19: spec.podSelector.matchLabels.app: invalid label value \"${APP}\"" },
        { "label value too long", Policy + $"metadata: {{name: a}}\nspec:\n  podSelector:\n    matchLabels: {{app: {new string('a', 64)}}}\n", "invalid label value" },
        { "label key with a space", Policy + "metadata: {name: a}\nspec:\n  podSelector:\n    matchLabels: {\"my app\": web}\n", "invalid key \"my app\"" },
        { "label key with an upper-case prefix", Policy + "metadata:\n  name: a\n  labels: {Example.com/team: a}\n", "metadata.labels.Example.com/team: invalid key" },
        { "selector expression key", Policy + "metadata: {name: a}\nspec:\n  podSelector:\n    matchExpressions: [{key: \"a b\", operator: Exists}]\n", "spec.podSelector.matchExpressions[0].key: invalid key" },
        { "selector expression value", Policy + "metadata: {name: a}\nspec:\n  podSelector:\n    matchExpressions: [{key: tier, operator: In, values: [\"-front\"]}]\n", "spec.podSelector.matchExpressions[0].values: invalid label value \"-front\"" },
        { "annotation key", Policy + "metadata:\n  name: a\n  annotations: {\"owner team\": a}\n", "metadata.annotations.owner team: invalid key" },
        { "upper-case name", Policy + "metadata: {name: Web}\n", "line 3, column 12: metadata.name: invalid name \"Web\"" },
        { "namespace with a dot", Policy + "metadata: {name: web, namespace: shop.eu}\n", "metadata.namespace: invalid namespace \"shop.eu\"" },
        { "unsubstituted variable in a namespace", Policy + "metadata: {name: web, namespace: \"${NS}\"}\n", "(an unsubstituted variable?)" },
    };

    [Theory]
    [MemberData(nameof(Strict))]
    public void What_the_API_server_would_refuse_is_an_error_with_its_line(string behaviour, string text, string problem)
    {
        var e = Assert.Throws<ManifestException>(() => ManifestReader.Read(Path, text, "default"));

        Assert.StartsWith($"{Path}: document 0: ", e.Message, StringComparison.Ordinal);
        Assert.True(e.Problem.Contains(problem, StringComparison.Ordinal), $"{behaviour}: {e.Problem}");
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_status_field_is_read_but_noted_because_API_servers_from_1_28_refuse_it()
    {
        var policies = ManifestReader.Read(Path, Policy + "metadata: {name: a}\nspec: {podSelector: {}}\nstatus: {}\n---\n" + Policy + "metadata: {name: b}\n", "default");

        Assert.Equal(2, policies.Count);
        Assert.Equal(
            $"{Path}: document 0: status: API servers from Kubernetes 1.28 refuse this field (strict decoding error: unknown field \"status\"), so the GitOps sync of this file fails there; remove it",
            policies[0].Notice);
        Assert.Null(policies[1].Notice);
        Assert.Equal(ManifestReader.Read(Path, Policy + "metadata: {name: a}\nspec: {podSelector: {}}\n", "default")[0].Policy, policies[0].Policy);
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void Error_names_the_file_and_document(string behaviour, string text, int document, string problem)
    {
        var e = Assert.Throws<ManifestException>(() => ManifestReader.Read(Path, text, "default"));

        Assert.Equal(Path, e.Path);
        Assert.True(e.DocumentIndex == document, $"{behaviour}: document {e.DocumentIndex}: {e.Message}");
        Assert.StartsWith($"{Path}: document {document}: ", e.Message, StringComparison.Ordinal);
        Assert.True(e.Problem.Contains(problem, StringComparison.Ordinal), $"{behaviour}: {e.Problem}");
    }

    [Fact]
    public void Alias_expansion_bomb_is_an_error_not_an_out_of_memory()
    {
        var lines = new List<string> { "apiVersion: networking.k8s.io/v1", "kind: NetworkPolicy", "metadata: {name: bomb}", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]" };
        for (var i = 1; i < 8; i++)
        {
            lines.Add($"a{i}: &a{i} [" + string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10)) + "]");
        }

        var e = Assert.Throws<ManifestException>(() => ManifestReader.Read(Path, string.Join('\n', lines), "default"));

        Assert.Equal(0, e.DocumentIndex);
        Assert.Contains("nodes", e.Problem);
    }

    [Fact]
    public void File_over_the_size_limit_is_refused_before_parsing()
    {
        var text = new string('#', ManifestReader.MaxFileBytes + 1);

        var e = Assert.Throws<ManifestException>(() => ManifestReader.Read(Path, text, "default"));

        Assert.Null(e.DocumentIndex);
        Assert.Contains("larger than 8 MiB", e.Message);
    }
}
