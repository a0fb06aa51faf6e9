using System.Net;
using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Drift;

/// <summary><c>admissionguard drift</c> run as a process, as CI runs it, against a real Git repository and saved or stubbed live state.</summary>
public sealed class DriftCommandTests : IDisposable
{
    private readonly CommandWorkspace _workspace = new(DriftFixtures.GitFiles());

    private Executable.Result Drift(params string[] arguments) =>
        Executable.Run(_workspace.Work.Path, _workspace.Environment, ["drift", "--repo", _workspace.Repository.Path, .. arguments]);

    public static TheoryData<string> SavedClusters => new() { "cluster.yaml", "cluster.json" };

    [Theory]
    [MemberData(nameof(SavedClusters))]
    public void Each_drift_type_is_reported_from_kubectl_output_and_exits_1(string file)
    {
        var result = Drift("--live", DriftFixtures.Live(file), "--output", "json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Errors);
        var report = JsonNode.Parse(result.Output)!;
        Assert.Equal(_workspace.Commit, report["commit"]!.GetValue<string>());
        Assert.Equal("main", report["ref"]!.GetValue<string>());
        Assert.Equal(
            [
                "shop/db modified shop/db.yaml: spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432",
                "shop/debug-allow-all unmanaged -",
                "shop/default-deny missing shop/default-deny.yaml",
            ],
            DriftFixtures.Items(report));
        Assert.Equal(3, report["summary"]!["declared"]!.GetValue<int>());
        Assert.Equal(3, report["summary"]!["live"]!.GetValue<int>());
    }

    [Fact]
    public void Objects_equal_to_Git_up_to_server_metadata_defaults_order_and_duplicates_are_no_drift_and_exit_0()
    {
        var result = Drift("--live", DriftFixtures.Live("in-sync.yaml"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("No drift: all 3 NetworkPolicies in Git match the cluster.", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("MODIFIED", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_text_report_lists_each_policy_with_its_Git_file_and_ends_with_a_summary_and_what_to_do()
    {
        var result = Drift("--live", DriftFixtures.Live("cluster.yaml"));

        Assert.Equal(1, result.ExitCode);
        var lines = result.Output.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Equal($"Git main@{_workspace.Commit[..7]} ({_workspace.Repository.Path}) vs {DriftFixtures.Live("cluster.yaml")}", lines[0]);
        Assert.Contains($"MODIFIED   shop/db               shop/db.yaml@{_workspace.Commit[..7]}", lines);
        Assert.Contains("             - spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", lines);
        Assert.Contains("UNMANAGED  shop/debug-allow-all  (not in Git)", lines);
        Assert.Contains($"MISSING    shop/default-deny     shop/default-deny.yaml@{_workspace.Commit[..7]} (not in the cluster)", lines);
        Assert.Contains("Drift: 1 modified, 1 missing, 1 unmanaged (3 NetworkPolicies in Git, 3 live).", lines);
        Assert.Contains(lines, l => l.StartsWith("Fix unmanaged: ", StringComparison.Ordinal));
        Assert.DoesNotContain("\u001b[", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cluster_without_policies_has_every_declared_policy_missing()
    {
        var result = Drift("--live", DriftFixtures.Live("no-policies.yaml"), "-o", "json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["shop/api missing shop/api.yaml", "shop/db missing shop/db.yaml", "shop/default-deny missing shop/default-deny.yaml"], DriftFixtures.Items(JsonNode.Parse(result.Output)!));
    }

    [Fact]
    public void Namespace_globs_limit_the_scope()
    {
        var billing = Drift("--live", DriftFixtures.Live("cluster.yaml"), "--namespace", "billing", "-o", "json");
        var shop = Drift("--live", DriftFixtures.Live("cluster.yaml"), "-n", "billing", "-n", "sh*", "-o", "json");

        Assert.Equal(0, billing.ExitCode);
        Assert.Empty(JsonNode.Parse(billing.Output)!["items"]!.AsArray());
        Assert.Equal(1, shop.ExitCode);
        Assert.Equal(3, JsonNode.Parse(shop.Output)!["items"]!.AsArray().Count);
    }

    [Fact]
    public void Path_globs_replace_the_configured_ones()
    {
        var result = Drift("--live", DriftFixtures.Live("cluster.yaml"), "--path", "shop/api.yaml", "--path", "shop/db.yaml", "-o", "json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            ["shop/db modified shop/db.yaml: spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", "shop/debug-allow-all unmanaged -"],
            DriftFixtures.Items(JsonNode.Parse(result.Output)!));
    }

    [Fact]
    public void Sarif_is_version_2_1_0_with_one_result_per_item_located_in_its_Git_file()
    {
        var result = Drift("--live", DriftFixtures.Live("cluster.yaml"), "--output", "sarif");

        Assert.Equal(1, result.ExitCode);
        var sarif = JsonNode.Parse(result.Output)!;
        Assert.Equal("2.1.0", sarif["version"]!.GetValue<string>());
        Assert.Equal("https://json.schemastore.org/sarif-2.1.0.json", sarif["$schema"]!.GetValue<string>());
        var run = Assert.Single(sarif["runs"]!.AsArray())!;
        Assert.Equal("AdmissionGuard", run["tool"]!["driver"]!["name"]!.GetValue<string>());
        var rules = run["tool"]!["driver"]!["rules"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToList();
        Assert.Equal(_workspace.Commit, run["versionControlProvenance"]![0]!["revisionId"]!.GetValue<string>());

        var results = run["results"]!.AsArray().Select(r => r!).ToList();
        Assert.Equal(3, results.Count);
        foreach (var r in results)
        {
            Assert.Equal(rules[r["ruleIndex"]!.GetValue<int>()], r["ruleId"]!.GetValue<string>());
            Assert.Equal("error", r["level"]!.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(r["message"]!["text"]!.GetValue<string>()));
        }

        var modified = results.Single(r => r["ruleId"]!.GetValue<string>() == "drift/modified");
        Assert.Contains("spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", modified["message"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("(changed by kubectl-edit (Update) at 2026-11-26T23:41:17Z)", modified["message"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("""{"manager":"kubectl-edit","operation":"Update","time":"2026-11-26T23:41:17Z"}""", modified["properties"]!["lastChange"]!.ToJsonString());
        Assert.Equal("shop/db.yaml", modified["locations"]![0]!["physicalLocation"]!["artifactLocation"]!["uri"]!.GetValue<string>());
        var missing = results.Single(r => r["ruleId"]!.GetValue<string>() == "drift/missing");
        var where = missing["locations"]![0]!["physicalLocation"]!;
        Assert.Equal("shop/default-deny.yaml", where["artifactLocation"]!["uri"]!.GetValue<string>());
        Assert.Equal(DriftFixtures.DefaultDenyLine, where["region"]!["startLine"]!.GetValue<int>());
        var unmanaged = results.Single(r => r["ruleId"]!.GetValue<string>() == "drift/unmanaged");
        Assert.Null(unmanaged["locations"]![0]!["physicalLocation"]);
        Assert.Equal("shop/debug-allow-all", unmanaged["locations"]![0]!["logicalLocations"]![0]!["fullyQualifiedName"]!.GetValue<string>());
    }

    [Fact]
    public void Items_say_who_changed_them_and_when_and_an_expired_break_glass_from_kubectl_output_with_managed_fields()
    {
        var commit = _workspace.Repository.Commit(new Dictionary<string, string> { ["fx-mf/web-allow-frontend.yaml"] = DriftFixtures.WebAllowFrontend });
        var (expired, valid) = (DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(2));

        // As kubectl get networkpolicies -A -o json --show-managed-fields writes a List, of two recorded objects:
        // managedfields-03-edit.json (port 8081 by kubectl-edit, tier=backend by kubectl-patch), given an expired break-glass;
        // managedfields-06-ssa-kustomize-controller.json, renamed so that Git does not declare it, given a valid one.
        var edited = DriftFixtures.WithBreakGlass(DriftFixtures.Recorded("managedfields-03-edit.json"), "INC-7 open 8081 to the frontend", expired);
        var copy = DriftFixtures.WithBreakGlass(DriftFixtures.Recorded("managedfields-06-ssa-kustomize-controller.json"), "INC-8", valid);
        copy["metadata"]!["name"] = "web-copy";
        var live = _workspace.Work.Combine("live-managed-fields.json");
        File.WriteAllText(live, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["items"] = new JsonArray(edited, copy),
            ["kind"] = "List",
            ["metadata"] = new JsonObject { ["resourceVersion"] = "" },
        }.ToJsonString());

        var text = Drift("--live", live, "--namespace", "fx-mf");
        var json = Drift("--live", live, "--namespace", "fx-mf", "-o", "json");

        Assert.Equal(1, text.ExitCode);
        var lines = text.Output.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Equal(
            [
                $"MODIFIED   fx-mf/web-allow-frontend  fx-mf/web-allow-frontend.yaml@{commit[..7]}",
                $"             changed by kubectl-edit (Update) at 2026-12-01T21:48:59Z; break-glass \"INC-7 open 8081 to the frontend\" expired {DriftFixtures.Time(expired)}",
                "             - spec.podSelector: changed from app=web to app=web,tier=backend",
                "             - spec.ingress: rule from podSelector role=frontend: port TCP/8081 added, port TCP/8080 removed",
                "UNMANAGED  fx-mf/web-copy            (not in Git)",
                $"             changed by kustomize-controller (Apply) at 2026-12-01T21:49:12Z; break-glass \"INC-8\" expires {DriftFixtures.Time(valid)}",
            ],
            lines.SkipWhile(l => !l.StartsWith("MODIFIED", StringComparison.Ordinal)).TakeWhile(l => l.Length > 0));
        Assert.Contains("Break-glass expired: fx-mf/web-allow-frontend still differs from Git.", lines);

        Assert.Equal(1, json.ExitCode);
        var report = JsonNode.Parse(json.Output)!;
        var items = report["items"]!.AsArray();
        Assert.Equal(1, report["summary"]!["breakGlassExpired"]!.GetValue<int>());
        Assert.Equal(
            """{"manager":"kubectl-edit","operation":"Update","time":"2026-12-01T21:48:59Z"}""",
            items[0]!["lastChange"]!.ToJsonString());
        Assert.Equal(
            $$"""{"reason":"INC-7 open 8081 to the frontend","expires":"{{DriftFixtures.Time(expired)}}","expired":true}""",
            items[0]!["breakGlass"]!.ToJsonString());
        Assert.Equal(
            """{"manager":"kustomize-controller","operation":"Apply","time":"2026-12-01T21:49:12Z"}""",
            items[1]!["lastChange"]!.ToJsonString());
        Assert.False(items[1]!["breakGlass"]!["expired"]!.GetValue<bool>());
    }

    [Fact]
    public async Task The_cluster_is_read_through_a_kubeconfig_with_the_same_result_as_the_saved_file()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        var kubeconfig = stub.WriteKubeconfig(_workspace.Work.Path, context: "ci");

        var fromCluster = Drift("--kubeconfig", kubeconfig, "--context", "ci", "-o", "json");
        var fromFile = Drift("--live", DriftFixtures.Live("cluster.json"), "-o", "json");
        var text = Drift("--kubeconfig", kubeconfig);

        Assert.Equal(1, fromCluster.ExitCode);
        Assert.Equal(DriftFixtures.Items(JsonNode.Parse(fromFile.Output)!), DriftFixtures.Items(JsonNode.Parse(fromCluster.Output)!));
        Assert.StartsWith($"Git main@{_workspace.Commit[..7]} ({_workspace.Repository.Path}) vs {stub.Url} (context ci)", text.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_large_cluster_is_listed_page_by_page()
    {
        var many = Enumerable.Range(0, 1203).Select(i => DriftFixtures.Unmanaged("load", $"policy-{i:0000}"));
        await using var stub = await KubernetesApiStub.StartAsync(many);

        var result = Drift("--kubeconfig", stub.WriteKubeconfig(_workspace.Work.Path), "--namespace", "load", "-o", "json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(1203, JsonNode.Parse(result.Output)!["summary"]!["unmanaged"]!.GetValue<int>());
        Assert.Equal(3, stub.Lists);
    }

    public static TheoryData<string, string[], string> Errors => new()
    {
        { "a live file that does not exist", ["--live", "nothere.yaml"], "live file not found: " },
        { "a live file that is a directory", ["--live", "."], "is a directory" },
        { "an empty live file (kubectl failed)", ["--live", "empty.yaml"], "live file empty.yaml is empty: expected the output of kubectl get networkpolicies -A -o yaml" },
        { "a live file that is not YAML", ["--live", "broken.yaml"], "live file broken.yaml: document 0: line 2" },
        { "a live object the API server would refuse", ["--live", DriftFixtures.Live("invalid-port.yaml")], "items[0].spec.ingress[0].ports[0].port: must be a port number between 1 and 65535" },
        { "a live file with one policy twice", ["--live", "twice.yaml"], "NetworkPolicy shop/api appears twice (twice.yaml: document 2 and twice.yaml: document 3 item 0)" },
        { "both live sources", ["--live", DriftFixtures.Live("cluster.yaml"), "--kubeconfig", "kubeconfig"], "give either --live FILE or --kubeconfig FILE, not both" },
        { "no live source outside a pod", [], "not running in a Kubernetes pod: give a kubeconfig file (--kubeconfig) or a live file (--live)" },
        { "a kubeconfig that does not exist", ["--kubeconfig", "nothere"], "kubeconfig not found: " },
        { "a kubeconfig context that does not exist", ["--kubeconfig", "kubeconfig", "--context", "prod"], "CurrentContext: prod not found" },
        { "an output format that does not exist", ["--live", DriftFixtures.Live("cluster.yaml"), "--output", "xml"], "Argument 'xml' not recognized" },
        { "an option without its value", ["--live"], "Required argument missing for option: '--live'" },
        { "a misspelt option", ["--live", DriftFixtures.Live("cluster.yaml"), "--outptu", "json"], "unknown option --outptu" },
        { "a ref that does not exist", ["--live", DriftFixtures.Live("cluster.yaml"), "--ref", "release-9"], "Git: ref \"release-9\" is not a branch, tag or commit of the repository" },
        { "invalid settings", ["--live", DriftFixtures.Live("cluster.yaml"), "--AdmissionGuard:CompareMetadata=maybe"], "AdmissionGuard:CompareMetadata: \"maybe\" is not true or false" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Errors_are_one_line_on_stderr_and_exit_2(string behaviour, string[] arguments, string expected)
    {
        File.WriteAllText(_workspace.Work.Combine("empty.yaml"), "\n");
        File.WriteAllText(_workspace.Work.Combine("broken.yaml"), "items: [\n");
        File.WriteAllText(_workspace.Work.Combine("twice.yaml"), File.ReadAllText(DriftFixtures.Live("in-sync.yaml")) + "\n" + File.ReadAllText(DriftFixtures.Live("cluster.yaml")));
        File.WriteAllText(_workspace.Work.Combine("kubeconfig"), "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\ncurrent-context: \"\"\n");

        var result = Drift(arguments);

        AssertOneLineError(result, expected, behaviour);
    }

    [Fact]
    public void A_misspelt_field_in_Git_is_an_error_naming_its_line_not_a_deny_all_policy_without_drift()
    {
        _workspace.Repository.Commit(new Dictionary<string, string>
        {
            ["shop/default-deny.yaml"] = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: shop}\nspce:\n  podSelector: {}\n",
        });

        var result = Drift("--live", DriftFixtures.Live("in-sync.yaml"));

        AssertOneLineError(result, "shop/default-deny.yaml: document 0: line 4, column 1: spce: unknown field \"spce\" (did you mean \"spec\"?)", "misspelt spec");
    }

    [Fact]
    public void A_status_field_in_Git_is_noted_on_stderr_and_the_report_stays_one_document()
    {
        _workspace.Repository.Commit(new Dictionary<string, string> { ["shop/api.yaml"] = DriftFixtures.Api + "\nstatus: {}\n" });

        var result = Drift("--live", DriftFixtures.Live("in-sync.yaml"), "-o", "json");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(0, JsonNode.Parse(result.Output)!["summary"]!["modified"]!.GetValue<int>());
        Assert.StartsWith("admissionguard drift: note: shop/api.yaml: document 0: status: API servers from Kubernetes 1.28 refuse this field", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repository_that_does_not_exist_is_an_error()
    {
        var result = Executable.Run(_workspace.Work.Path, _workspace.Environment, "drift", "--repo", _workspace.Work.Combine("no-repo"), "--live", DriftFixtures.Live("cluster.yaml"));

        AssertOneLineError(result, $"Git: repository not found: {_workspace.Work.Combine("no-repo")} is not a directory", "missing repository");
    }

    [Fact]
    public void An_unreachable_cluster_is_an_error()
    {
        var result = Drift("--kubeconfig", Unreachable());

        AssertOneLineError(result, "cannot reach the Kubernetes API server http://127.0.0.1:", "unreachable cluster");
    }

    [Fact]
    public async Task A_refusal_by_the_API_server_is_an_error_with_its_reason()
    {
        await using var stub = await KubernetesApiStub.StartAsync(DriftFixtures.LiveObjects());
        stub.FailLists = HttpStatusCode.Forbidden;

        var result = Drift("--kubeconfig", stub.WriteKubeconfig(_workspace.Work.Path));

        AssertOneLineError(result, "answered 403 Forbidden: networkpolicies.networking.k8s.io is forbidden: User \"system:serviceaccount:ci:drift\" cannot list", "forbidden");
        Assert.Equal(1, stub.Lists);
    }

    public void Dispose() => _workspace.Dispose();

    private string Unreachable()
    {
        // A port nobody listens on: the stub's kubeconfig, without the stub.
        var directory = _workspace.Work.Combine("unreachable");
        Directory.CreateDirectory(directory);
        return KubernetesApiStub.WriteKubeconfig(directory, $"http://127.0.0.1:{Ports.Free()}", "gone");
    }

    private static void AssertOneLineError(Executable.Result result, string expected, string behaviour)
    {
        Assert.True(result.ExitCode == 2, $"{behaviour}: exit {result.ExitCode}, stderr: {result.Errors}");
        Assert.Empty(result.Output);
        var line = Assert.Single(result.Errors.Trim().Split('\n'));
        Assert.StartsWith("admissionguard drift: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Errors, StringComparison.Ordinal);
    }
}
