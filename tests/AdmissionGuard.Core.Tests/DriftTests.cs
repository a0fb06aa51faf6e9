using System.Collections.Immutable;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Tests;

/// <summary>Drift between Git and the live cluster: missing, unmanaged, modified, and what is not drift.</summary>
public class DriftTests
{
    private const string Commit = "89abcdef0123456789abcdef0123456789abcdef";
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private const string Web = """
        {"podSelector":{"matchLabels":{"app":"web"}},
         "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080}]}]}
        """;

    private const string WebAsServed = """
        {"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"],
         "ingress":[{"ports":[{"protocol":"TCP","port":8080}],"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}]}]}
        """;

    private const string WebOpened = """
        {"podSelector":{"matchLabels":{"app":"web"}},
         "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080}]},
                    {"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}],"ports":[{"port":5432}]}]}
        """;

    private const string DenyAll = """{"podSelector":{},"policyTypes":["Ingress","Egress"]}""";

    /// <summary>Git: shop/web and shop/default-deny in policies/shop.yaml, billing/default-deny in policies/billing.yaml.</summary>
    private static readonly Baseline Git = new(Commit, "main", Now, [
        new BaselineEntry(Policies.Spec(Web), "policies/shop.yaml", 0),
        new BaselineEntry(Policies.Spec(DenyAll, name: "default-deny"), "policies/shop.yaml", 1),
        new BaselineEntry(Policies.Spec(DenyAll, name: "default-deny", ns: "billing"), "policies/billing.yaml", 0),
    ]);

    private static CanonicalPolicy Live(string spec, string name = "web", string ns = "shop", string metadata = "{}") =>
        Policies.Spec(spec, metadata, name, ns);

    private static readonly CanonicalPolicy[] InSync =
    [
        Live(WebAsServed),
        Live(DenyAll, "default-deny"),
        Live(DenyAll, "default-deny", "billing"),
    ];

    public static TheoryData<string, CanonicalPolicy[], string[]> Cases => new()
    {
        { "the cluster as Git declares it, as the API server serves it, is no drift", InSync, [] },
        {
            "the live objects in another order are no drift",
            [InSync[2], InSync[0], InSync[1]],
            []
        },
        {
            "a declared policy that is not live is missing",
            [InSync[0], InSync[1]],
            ["billing/default-deny missing policies/billing.yaml"]
        },
        {
            "a live policy in a governed namespace that Git does not declare is unmanaged",
            [.. InSync, Live(DenyAll, "debug")],
            ["shop/debug unmanaged -"]
        },
        {
            "a live policy in an excluded namespace is not drift",
            [.. InSync, Live(DenyAll, "coredns", "kube-system")],
            []
        },
        {
            "a live policy that is not equivalent is modified, with the deny message's differences",
            [Live(WebOpened), InSync[1], InSync[2]],
            ["shop/web modified policies/shop.yaml: spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432"]
        },
        {
            "labels are not compared by default",
            [Live(WebAsServed, metadata: """{"labels":{"team":"other"}}"""), InSync[1], InSync[2]],
            []
        },
        {
            "every kind at once, sorted by namespace then name",
            [Live(DenyAll, "zz-extra", "billing"), Live(WebOpened), Live(DenyAll, "allow-dns", "shop")],
            [
                "billing/default-deny missing policies/billing.yaml",
                "billing/zz-extra unmanaged -",
                "shop/allow-dns unmanaged -",
                "shop/default-deny missing policies/shop.yaml",
                "shop/web modified policies/shop.yaml: spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Drift_between_Git_and_the_cluster(string behaviour, CanonicalPolicy[] live, string[] expected)
    {
        var report = Drift.Find(Git, live, new DecisionSettings(), [], Now);

        Assert.True(expected.SequenceEqual(report.Items.Select(Describe)), $"{behaviour}: got [{string.Join(" | ", report.Items.Select(Describe))}]");
        Assert.Equal(expected.Length > 0, report.HasDrift);
    }

    /// <summary>Every case reached from the cluster in sync, and the cluster in sync reached from every case, plus out-of-scope changes.</summary>
    public static TheoryData<string, CanonicalPolicy[], CanonicalPolicy[]> Transitions()
    {
        var transitions = new TheoryData<string, CanonicalPolicy[], CanonicalPolicy[]>();
        foreach (var row in Cases)
        {
            var (behaviour, live) = ((string)row[0], (CanonicalPolicy[])row[1]);
            transitions.Add($"to: {behaviour}", InSync, live);
            transitions.Add($"from: {behaviour}", live, InSync);
        }

        transitions.Add("a policy added in a namespace that is not governed", InSync, [.. InSync, Live(DenyAll, "default-deny", "kube-system")]);
        return transitions;
    }

    [Theory]
    [MemberData(nameof(Transitions))]
    public void An_update_from_the_changed_policies_alone_gives_what_a_whole_comparison_gives(string behaviour, CanonicalPolicy[] before, CanonicalPolicy[] after)
    {
        var settings = new DecisionSettings();
        var previous = Drift.Find(Git, before, settings, [], Now);
        var live = after.GroupBy(p => p.Id).ToDictionary(g => g.Key, g => g.Last());
        var changed = before.Select(p => p.Id).Union(after.Select(p => p.Id));

        var updated = Drift.Update(previous, Git, live, changed, settings, [], Now.AddMinutes(1));
        var whole = Drift.Find(Git, live.Values, settings, [], Now.AddMinutes(1));

        Assert.True(whole.Items.Select(Describe).SequenceEqual(updated.Items.Select(Describe)), $"{behaviour}: [{string.Join(" | ", updated.Items.Select(Describe))}] instead of [{string.Join(" | ", whole.Items.Select(Describe))}]");
        Assert.Equal((whole.Declared, whole.Live, whole.ScannedAt, whole.Commit), (updated.Declared, updated.Live, updated.ScannedAt, updated.Commit));
    }

    [Fact]
    public void The_report_names_the_commit_and_counts_each_type()
    {
        var report = Drift.Find(Git, [Live(DenyAll, "extra"), Live(WebOpened)], new DecisionSettings(), [], Now);

        Assert.Equal((Commit, "main", Now), (report.Commit, report.Ref, report.ScannedAt));
        Assert.Equal("89abcde", report.ShortCommit);
        Assert.Equal((2, 1, 1), (report.Missing, report.Unmanaged, report.Modified));
        Assert.Equal(2, report.Count(DriftType.Missing));
        Assert.Equal((3, 2), (report.Declared, report.Live));
    }

    public static TheoryData<string, string[], string[]> Scopes => new()
    {
        { "no namespace filter: every governed namespace", [], ["billing/default-deny", "shop/debug", "shop/default-deny"] },
        { "an exact namespace", ["shop"], ["shop/debug", "shop/default-deny"] },
        { "a glob", ["bill*"], ["billing/default-deny"] },
        { "several globs", ["bill*", "sh?p"], ["billing/default-deny", "shop/debug", "shop/default-deny"] },
        { "a namespace with no policies", ["payments"], [] },
    };

    [Theory]
    [MemberData(nameof(Scopes))]
    public void The_namespace_filter_limits_both_sides(string behaviour, string[] globs, string[] expected)
    {
        var live = new[] { Live(WebAsServed), Live(DenyAll, "debug") };

        var report = Drift.Find(Git, live, new DecisionSettings(), [.. globs.Select(g => new NamespacePattern(g))], Now);

        Assert.True(expected.SequenceEqual(report.Items.Select(i => i.Id.ToString())), $"{behaviour}: got [{string.Join(", ", report.Items.Select(i => i.Id))}]");
    }

    [Fact]
    public void Namespaces_that_are_not_governed_are_out_of_scope_on_both_sides()
    {
        var settings = new DecisionSettings { GovernedNamespaces = [new NamespacePattern("shop")] };

        var report = Drift.Find(Git, [Live(DenyAll, "extra", "payments")], settings, [], Now);

        Assert.Equal(["shop/default-deny", "shop/web"], report.Items.Select(i => i.Id.ToString()));
        Assert.Equal((2, 0), (report.Declared, report.Live));
    }

    [Fact]
    public void With_metadata_compared_a_governed_label_change_is_modified_and_an_ignored_one_is_not()
    {
        var settings = new DecisionSettings { CompareMetadata = new MetadataFilter(DecisionSettings.DefaultIgnoredMetadataKeys) };
        var live = new[]
        {
            Live(WebAsServed, metadata: """{"labels":{"team":"other"}}"""),
            Live(DenyAll, "default-deny", metadata: """{"annotations":{"argocd.argoproj.io/tracking-id":"shop:networking.k8s.io/NetworkPolicy:shop/default-deny"}}"""),
            InSync[2],
        };

        var report = Drift.Find(Git, live, settings, [], Now);

        var item = Assert.Single(report.Items);
        Assert.Equal((new PolicyKey("shop", "web"), DriftType.Modified), (item.Id, item.Type));
        Assert.Equal(["metadata.labels: team added"], item.Differences.ToArray());
    }

    [Fact]
    public void A_live_policy_listed_twice_counts_once()
    {
        var report = Drift.Find(Git, [.. InSync, Live(WebOpened)], new DecisionSettings(), [], Now);

        Assert.False(report.HasDrift);
        Assert.Equal(3, report.Live);
    }

    /// <summary>np-mf.yaml, the first version of the recorded policy (Fixtures/managedfields/README.md), as Git declares it.</summary>
    private static readonly Baseline FirstVersion = new(Commit, "main", Now, [
        new BaselineEntry(
            Policies.Read("""
                {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"web-allow-frontend","namespace":"fx-mf"},
                 "spec":{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"],
                         "ingress":[{"from":[{"podSelector":{"matchLabels":{"role":"frontend"}}}],"ports":[{"protocol":"TCP","port":8080}]}]}}
                """),
            "fx-mf/web-allow-frontend.yaml", 0),
    ]);

    public static TheoryData<string, string, bool, string?> RecordedStates => new()
    {
        { "as first applied: no drift", "managedfields-01-apply.json", false, null },
        { "the merge patch of the pod selector", "managedfields-02-patch-merge.json", false, "changed by kubectl-patch (Update) at 2026-12-01T21:48:56Z" },
        { "the edit of the port is the latest differing field", "managedfields-03-edit.json", false, "changed by kubectl-edit (Update) at 2026-12-01T21:48:59Z" },
        { "a later label does not differ from Git", "managedfields-04-label.json", false, "changed by kubectl-edit (Update) at 2026-12-01T21:48:59Z" },
        { "a later label differs when every label is compared", "managedfields-04-label.json", true, "changed by kubectl-label (Update) at 2026-12-01T21:49:01Z" },
        { "after the first server-side apply the edit is argocd-controller's", "managedfields-05-ssa-argocd-controller.json", false, "changed by argocd-controller (Apply) at 2026-12-01T21:49:10Z" },
        { "two server-side applies share the fields: the latest", "managedfields-06-ssa-kustomize-controller.json", false, "changed by kustomize-controller (Apply) at 2026-12-01T21:49:12Z" },
        { "a later annotation does not differ from Git", "managedfields-07-annotate.json", false, "changed by kustomize-controller (Apply) at 2026-12-01T21:49:12Z" },
        { "the API server's answer for the same object", "managedfields-08-final-raw.json", false, "changed by kustomize-controller (Apply) at 2026-12-01T21:49:12Z" },
    };

    [Theory]
    [MemberData(nameof(RecordedStates))]
    public void A_modified_item_names_who_changed_it_from_the_live_managedFields(string behaviour, string fixture, bool compareEveryKey, string? expected)
    {
        var settings = compareEveryKey ? new DecisionSettings { CompareMetadata = new MetadataFilter([]) } : new DecisionSettings();

        var report = Drift.Find(FirstVersion, [LastChangeTests.Live(fixture)], settings, [], Now);

        Assert.True(expected == report.Items.SingleOrDefault()?.Provenance, $"{behaviour}: got {report.Items.SingleOrDefault()?.Provenance ?? "no drift"}");
    }

    [Fact]
    public void An_unmanaged_item_names_the_latest_writer_of_its_spec_and_a_missing_one_names_nobody()
    {
        var live = LastChangeTests.Live("managedfields-04-label.json") with { Name = "copy-of-web" };

        var report = Drift.Find(FirstVersion, [live], new DecisionSettings(), [], Now);

        Assert.Equal(
            [
                "fx-mf/copy-of-web Unmanaged changed by kubectl-edit (Update) at 2026-12-01T21:48:59Z",
                "fx-mf/web-allow-frontend Missing -",
            ],
            report.Items.Select(i => $"{i.Id} {i.Type} {i.Provenance ?? "-"}"));
    }

    [Fact]
    public void A_live_object_without_managedFields_names_nobody()
    {
        var live = LastChangeTests.Live("managedfields-03-edit.json") with { ManagedFields = [] };

        var item = Assert.Single(Drift.Find(FirstVersion, [live], new DecisionSettings(), [], Now).Items);

        Assert.Null(item.LastChange);
        Assert.Null(item.Provenance);
    }

    public static TheoryData<string, string?, string?, string?, bool> BreakGlassAnnotations => new()
    {
        { "expired before the scan", "INC-7 open db", "2026-11-27T11:00:00Z", "break-glass \"INC-7 open db\" expired 2026-11-27T11:00:00Z", true },
        { "expiring exactly at the scan", "INC-7 open db", "2026-11-27T12:00:00Z", "break-glass \"INC-7 open db\" expired 2026-11-27T12:00:00Z", true },
        { "still valid", "INC-7 open db", "2026-11-27T13:30:00+01:00", "break-glass \"INC-7 open db\" expires 2026-11-27T12:30:00Z", false },
        { "an expiry that is not a time", "INC-7", "tomorrow", "break-glass \"INC-7\" without a readable expiry", false },
        { "an expiry without a reason", null, "2026-11-27T11:00:00Z", "break-glass without a reason expired 2026-11-27T11:00:00Z", true },
        { "no break-glass", null, null, null, false },
    };

    [Theory]
    [MemberData(nameof(BreakGlassAnnotations))]
    public void A_drifted_item_carries_its_break_glass_and_an_expired_one_is_counted(string behaviour, string? reason, string? expires, string? expected, bool expired)
    {
        var annotations = new System.Text.Json.Nodes.JsonObject();
        if (reason is not null)
        {
            annotations["admissionguard.io/break-glass"] = reason;
        }

        if (expires is not null)
        {
            annotations["admissionguard.io/break-glass-expires"] = expires;
        }

        var live = Live(WebOpened, metadata: new System.Text.Json.Nodes.JsonObject { ["annotations"] = annotations }.ToJsonString());

        var report = Drift.Find(Git, [live, InSync[1], InSync[2]], new DecisionSettings(), [], Now);

        var item = Assert.Single(report.Items);
        Assert.True(expected == item.BreakGlass?.ToString(), $"{behaviour}: got {item.BreakGlass}");
        Assert.Equal(expired ? 1 : 0, report.BreakGlassExpired);
    }

    [Fact]
    public void The_report_knows_when_its_next_break_glass_expires()
    {
        static CanonicalPolicy Annotated(string name, string expires) => Live(DenyAll, name, metadata:
            """{"annotations":{"admissionguard.io/break-glass":"INC-7","admissionguard.io/break-glass-expires":"EXPIRES"}}""".Replace("EXPIRES", expires, StringComparison.Ordinal));

        var report = Drift.Find(Git, [.. InSync, Annotated("a", "2026-11-27T15:00:00Z"), Annotated("b", "2026-11-27T13:00:00Z"), Annotated("c", "2026-11-27T11:00:00Z")],
            new DecisionSettings(), [], Now);

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 13, 0, 0, TimeSpan.Zero), report.NextBreakGlassExpiry);
        Assert.Equal(1, report.BreakGlassExpired);
    }

    [Fact]
    public void Break_glass_annotations_are_read_under_the_configured_keys()
    {
        var settings = new DecisionSettings { BreakGlass = new BreakGlassSettings { Annotation = "example.com/why", ExpiresAnnotation = "example.com/until" } };
        var live = Live(WebOpened, metadata: """{"annotations":{"example.com/why":"INC-9","example.com/until":"2026-11-27T11:00:00Z","admissionguard.io/break-glass":"ignored"}}""");

        var item = Assert.Single(Drift.Find(Git, [live, InSync[1], InSync[2]], settings, [], Now).Items);

        Assert.Equal("break-glass \"INC-9\" expired 2026-11-27T11:00:00Z", item.BreakGlass?.ToString());
    }

    private static string Describe(DriftItem item) =>
        $"{item.Id} {item.Type.ToString().ToLowerInvariant()} {item.GitPath ?? "-"}"
        + (item.Differences.IsEmpty ? "" : ": " + string.Join("; ", item.Differences));
}
