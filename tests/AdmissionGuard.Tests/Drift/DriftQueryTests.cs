using AdmissionGuard.Core;
using AdmissionGuard.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace AdmissionGuard.Tests.Drift;

/// <summary>Filters and pages of <c>GET /drift</c>, on a report of five items in two namespaces.</summary>
public sealed class DriftQueryTests
{
    private static readonly DateTimeOffset ScannedAt = new(2026, 12, 7, 1, 0, 0, TimeSpan.Zero);

    private static readonly DriftReport Report = new("c0ffee", "main", ScannedAt, 5, 5,
    [
        new DriftItem("shop", "a", DriftType.Missing, [], "shop/a.yaml"),
        new DriftItem("shop", "b", DriftType.Modified, ["spec.podSelector: app=b instead of app=c"], "shop/b.yaml"),
        new DriftItem("shop", "c", DriftType.Unmanaged, [], null),
        new DriftItem("team-a", "d", DriftType.Modified, ["spec.ingress: rule added"], "team-a/d.yaml"),
        new DriftItem("team-a", "e", DriftType.Missing, [], "team-a/e.yaml"),
    ]);

    [Theory]
    [InlineData("", "shop/a shop/b shop/c team-a/d team-a/e")]
    [InlineData("?namespace=shop", "shop/a shop/b shop/c")]
    [InlineData("?namespace=shop&namespace=team-a", "shop/a shop/b shop/c team-a/d team-a/e")]
    [InlineData("?namespace=nowhere", "")]
    [InlineData("?type=missing", "shop/a team-a/e")]
    [InlineData("?type=missing,unmanaged", "shop/a shop/c team-a/e")]
    [InlineData("?type=modified&type=unmanaged&namespace=shop", "shop/b shop/c")]
    public void Filters_keep_the_items_of_those_namespaces_and_types(string query, string expected)
    {
        var (_, items, next) = Parse(query).Page(Report);

        Assert.Equal(expected, Names(items));
        Assert.Null(next);
    }

    [Fact]
    public void Pages_of_a_limit_follow_each_other_through_the_continue_token_to_the_last()
    {
        var pages = new List<string>();
        string? next = null;
        do
        {
            var (_, items, following) = Parse("?type=missing,modified&limit=2" + (next is null ? "" : $"&continue={next}")).Page(Report);
            pages.Add(Names(items));
            next = following;
        }
        while (next is not null && pages.Count < 10);

        Assert.Equal(["shop/a shop/b", "team-a/d team-a/e"], pages);
    }

    [Fact]
    public void A_token_of_a_report_no_longer_kept_is_refused_as_gone()
    {
        var (_, _, next) = Parse("?limit=2").Page(Report);
        var newer = Report with { ScannedAt = ScannedAt.AddSeconds(30) };

        var error = Assert.Throws<DriftReportChangedException>(() => Parse($"?limit=2&continue={next}").Page(newer));

        Assert.Equal("the drift report this page belongs to is no longer kept (reports are kept 5 minutes after they are replaced; now scanned at 2026-12-07T01:00:30Z); start again without continue", error.Message);
    }

    [Fact]
    public void Pages_go_on_from_the_report_that_gave_the_token_while_newer_reports_replace_it()
    {
        var (_, first, next) = Parse("?limit=2").Page(Report);
        var state = new AdmissionGuard.Cluster.DriftState(true, true, "guard-a", null, null, null).WithReport(Report);
        for (var second = 1; second <= 3; second++)
        {
            // A watch event each: the newer reports lost shop/b.
            state = state.WithReport(Report with { ScannedAt = ScannedAt.AddSeconds(second), Items = [.. Report.Items.Where(i => i.Name != "b")] });
        }

        var (pinned, rest, _) = Parse($"?limit=2&continue={next}").Page(state.Report!, state.Earlier.Select(e => e.Report));

        Assert.Same(Report, pinned);
        Assert.Equal("shop/a shop/b", Names(first));
        Assert.Equal("shop/c team-a/d", Names(rest));
    }

    [Fact]
    public void A_token_with_an_offset_past_the_end_gives_an_empty_last_page_not_an_overflow()
    {
        var (_, _, next) = Parse("?limit=2").Page(Report);
        var parts = System.Text.Encoding.ASCII.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(next)).Split(':');
        var forged = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes($"{parts[0]}:{parts[1]}:{int.MaxValue}"));

        var (_, items, following) = Parse($"?limit=2&continue={forged}").Page(Report);

        Assert.Empty(items);
        Assert.Null(following);
    }

    [Fact]
    public void A_replaced_report_is_kept_for_its_pages_five_minutes_and_sixteen_reports_at_most()
    {
        var state = new AdmissionGuard.Cluster.DriftState(true, true, "guard-a", null, null, null).WithReport(Report);
        var replaced = state.WithReport(Report with { ScannedAt = ScannedAt.AddSeconds(10) });

        var withinFiveMinutes = replaced.WithReport(Report with { ScannedAt = ScannedAt.AddSeconds(10) + AdmissionGuard.Cluster.DriftState.PagesLast - TimeSpan.FromSeconds(1) });
        var afterFiveMinutes = replaced.WithReport(Report with { ScannedAt = ScannedAt.AddSeconds(10) + AdmissionGuard.Cluster.DriftState.PagesLast + TimeSpan.FromSeconds(1) });
        var busy = Enumerable.Range(1, 40).Aggregate(state, (s, i) => s.WithReport(Report with { ScannedAt = ScannedAt.AddSeconds(i) }));

        Assert.Contains(Report, withinFiveMinutes.Earlier.Select(e => e.Report));
        Assert.DoesNotContain(Report, afterFiveMinutes.Earlier.Select(e => e.Report));
        Assert.Equal(AdmissionGuard.Cluster.DriftState.MaxEarlier, busy.Earlier.Length);
        Assert.Equal(ScannedAt.AddSeconds(39), busy.Earlier[0].Report.ScannedAt);
    }

    [Theory]
    [InlineData("?limit=2&type=missing")]
    [InlineData("?limit=3")]
    [InlineData("?limit=2&namespace=shop")]
    public void A_token_given_for_other_filters_is_refused(string other)
    {
        var (_, _, next) = Parse("?limit=2").Page(Report);

        var error = Assert.Throws<DriftQueryException>(() => Parse($"{other}&continue={next}").Page(Report));

        Assert.Equal("continue was given for other filters: repeat the namespace, type and limit of the first page", error.Message);
    }

    [Theory]
    [InlineData("?type=drifted", "type \"drifted\" is not missing, unmanaged or modified")]
    [InlineData("?limit=0", "limit \"0\" is not a number from 1 to 10000")]
    [InlineData("?limit=10001", "limit \"10001\" is not a number from 1 to 10000")]
    [InlineData("?limit=-1", "limit \"-1\" is not a number from 1 to 10000")]
    [InlineData("?namspace=shop", "unknown parameter \"namspace\": use namespace, type, limit or continue")]
    [InlineData("?continue=not-a-token", "continue is not a token that /drift gave")]
    [InlineData("?continue=MTIzOng", "continue is not a token that /drift gave")]
    public void A_bad_query_is_one_line_naming_the_parameter(string query, string expected)
    {
        var error = Assert.Throws<DriftQueryException>(() => Parse(query).Page(Report));

        Assert.Equal(expected, error.Message);
    }

    private static DriftQuery Parse(string query) => DriftQuery.Parse(new QueryCollection(QueryHelpers.ParseQuery(query)));

    private static string Names(IEnumerable<DriftItem> items) => string.Join(' ', items.Select(i => $"{i.Namespace}/{i.Name}"));
}
