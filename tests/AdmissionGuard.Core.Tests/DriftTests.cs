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

    private static string Describe(DriftItem item) =>
        $"{item.Id} {item.Type.ToString().ToLowerInvariant()} {item.GitPath ?? "-"}"
        + (item.Differences.IsEmpty ? "" : ": " + string.Join("; ", item.Differences));
}
