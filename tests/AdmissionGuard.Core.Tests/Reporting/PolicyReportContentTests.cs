using System.Collections.Immutable;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Core.Reporting;

namespace AdmissionGuard.Core.Tests.Reporting;

/// <summary>What each namespace's PolicyReport says: a pass per policy equal to Git, a fail per drifted one.</summary>
public class PolicyReportContentTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 21, 50, 20, 472, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = Now.AddMinutes(5);

    private static readonly DriftItem Db = new("shop", "db", DriftType.Modified, ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432"], "shop/db.yaml")
    {
        LastChange = new ManagedFieldsEntry("kubectl-edit", ManagedFieldsOperation.Update, new DateTimeOffset(2026, 11, 26, 23, 41, 17, TimeSpan.Zero), PolicyFields.None),
    };

    private static readonly DriftItem Debug = new("shop", "debug-allow-all", DriftType.Unmanaged, [], null);
    private static readonly DriftItem DefaultDeny = new("shop", "default-deny", DriftType.Missing, [], "shop/default-deny.yaml");
    private static readonly DriftItem BillingDeny = new("billing", "default-deny", DriftType.Missing, [], "billing/default-deny.yaml");

    private static readonly Dictionary<PolicyKey, string?> Live = new()
    {
        [new("shop", "api")] = "uid-api",
        [new("shop", "db")] = "uid-db",
        [new("shop", "debug-allow-all")] = "uid-debug",
        [new("payments", "allow-dns")] = "uid-dns",
    };

    public static TheoryData<string, DriftItem[], string[]> Cases => new()
    {
        {
            "a pass per live policy equal to Git and a fail per drifted one, in each namespace with governed policies",
            [Db, Debug, DefaultDeny],
            [
                "payments: allow-dns pass drift/modified",
                "shop: api pass drift/modified",
                "shop: db fail drift/modified",
                "shop: debug-allow-all fail drift/unmanaged",
                "shop: default-deny fail drift/missing",
            ]
        },
        {
            "a namespace whose only governed policy is missing has a report",
            [BillingDeny],
            [
                "billing: default-deny fail drift/missing",
                "payments: allow-dns pass drift/modified",
                "shop: api pass drift/modified",
                "shop: db pass drift/modified",
                "shop: debug-allow-all pass drift/modified",
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_governed_namespace_gets_its_results(string because, DriftItem[] items, string[] expected)
    {
        var reports = PolicyReportContent.For(Report(items), Live, ImmutableDictionary<string, NamespacePolicyReport>.Empty, Now);

        var lines = reports.Values.SelectMany(r => r.Results.Select(x => $"{r.Namespace}: {x.Name} {x.Result} {x.Rule}")).ToList();
        Assert.True(expected.SequenceEqual(lines), $"{because}: {string.Join(" | ", lines)}");
    }

    [Fact]
    public void A_fail_says_what_differs_where_Git_declares_it_and_who_changed_it()
    {
        var shop = PolicyReportContent.For(Report([Db]), Live, ImmutableDictionary<string, NamespacePolicyReport>.Empty, Now)["shop"];

        var db = shop.Results.Single(r => r.Name == "db");
        var api = shop.Results.Single(r => r.Name == "api");
        Assert.Equal(("fail", "high", "uid-db"), (db.Result, db.Severity, db.Uid));
        Assert.Equal("NetworkPolicy shop/db differs from Git (shop/db.yaml): spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", db.Message);
        Assert.Equal(["changedBy=kubectl-edit (Update) at 2026-11-26T23:41:17Z", "gitPath=shop/db.yaml"], db.Properties.Select(p => $"{p.Key}={p.Value}"));
        Assert.Equal(("pass", null, "NetworkPolicy shop/api equals Git"), (api.Result, api.Severity, api.Message));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(Now.ToUnixTimeSeconds()), db.Timestamp);
        Assert.Equal((2, 1), (shop.Pass, shop.Fail));
    }

    [Fact]
    public void Findings_that_did_not_change_keep_their_time_so_the_report_is_the_same()
    {
        var first = PolicyReportContent.For(Report([Db, Debug]), Live, ImmutableDictionary<string, NamespacePolicyReport>.Empty, Now);

        var again = PolicyReportContent.For(Report([Db, Debug]), Live, first, Later);
        var resolved = PolicyReportContent.For(Report([Debug]), Live, first, Later);

        Assert.Equal(first["shop"], again["shop"]);
        Assert.NotEqual(first["shop"], resolved["shop"]);
        var db = resolved["shop"].Results.Single(r => r.Name == "db");
        Assert.Equal(("pass", DateTimeOffset.FromUnixTimeSeconds(Later.ToUnixTimeSeconds())), (db.Result, db.Timestamp));
        Assert.Equal(first["shop"].Results.Single(r => r.Name == "debug-allow-all"), resolved["shop"].Results.Single(r => r.Name == "debug-allow-all"));
    }

    [Fact]
    public void A_namespace_without_governed_policies_has_no_report()
    {
        var reports = PolicyReportContent.For(Report([]), new Dictionary<PolicyKey, string?> { [new("shop", "api")] = "uid-api" }, ImmutableDictionary<string, NamespacePolicyReport>.Empty, Now);

        Assert.Equal(["shop"], reports.Keys);
    }

    [Fact]
    public void A_long_message_is_cut_to_1_KiB()
    {
        var item = Db with { Differences = [.. Enumerable.Range(0, 100).Select(i => $"spec.ingress: rule added: from ipBlock 10.{i}.0.0/16 port TCP/5432")] };

        var db = PolicyReportContent.For(Report([item]), Live, ImmutableDictionary<string, NamespacePolicyReport>.Empty, Now)["shop"].Results.Single(r => r.Name == "db");

        Assert.True(System.Text.Encoding.UTF8.GetByteCount(db.Message) <= 1024);
        Assert.Matches(@"…\(\d+ more\)$", db.Message);
    }

    private static DriftReport Report(DriftItem[] items) => new("827d35d3b4ad47c809113d4a8f72655d421aea13", "main", Now, 4, 4, [.. items]);
}
