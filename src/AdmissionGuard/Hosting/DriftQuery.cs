using System.Buffers.Text;
using System.Globalization;
using System.Text;
using AdmissionGuard.Core;

namespace AdmissionGuard.Hosting;

/// <summary>
/// What a <c>GET /drift</c> asks for: items of some namespaces (<c>?namespace=</c>, repeatable) and drift types
/// (<c>?type=missing|unmanaged|modified</c>, repeatable), and a page of them (<c>?limit=</c>, then <c>?continue=</c>
/// with the token the previous page gave, and the same filters), as a Kubernetes list is paged.
/// </summary>
public sealed record DriftQuery(IReadOnlySet<string> Namespaces, IReadOnlySet<DriftType> Types, int? Limit, string? Continue)
{
    public const int MaxLimit = 10_000;

    public static readonly DriftQuery All = new(new HashSet<string>(), new HashSet<DriftType>(), null, null);

    /// <summary>Reads the query string; throws <see cref="DriftQueryException"/> (400) naming the bad parameter.</summary>
    public static DriftQuery Parse(IQueryCollection query)
    {
        foreach (var key in query.Keys.Where(k => k is not ("namespace" or "type" or "limit" or "continue")))
        {
            throw new DriftQueryException($"unknown parameter {Excerpt.Quoted(key)}: use namespace, type, limit or continue");
        }

        var namespaces = query["namespace"].Where(n => !string.IsNullOrEmpty(n)).Select(n => n!).ToHashSet(StringComparer.Ordinal);
        var types = new HashSet<DriftType>();
        foreach (var value in query["type"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            types.Add(value switch
            {
                "missing" => DriftType.Missing,
                "unmanaged" => DriftType.Unmanaged,
                "modified" => DriftType.Modified,
                _ => throw new DriftQueryException($"type {Excerpt.Quoted(value)} is not missing, unmanaged or modified"),
            });
        }

        int? limit = null;
        if (query["limit"] is { Count: > 0 } limits)
        {
            limit = int.TryParse(limits[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxLimit
                ? n
                : throw new DriftQueryException($"limit {Excerpt.Quoted(limits[^1] ?? "")} is not a number from 1 to {MaxLimit}");
        }

        var token = query["continue"] is { Count: > 0 } tokens && !string.IsNullOrEmpty(tokens[^1]) ? tokens[^1] : null;
        return new DriftQuery(namespaces, types, limit, token);
    }

    /// <summary>
    /// The report a page comes from (the current one, or for a continue token the report that gave it, while
    /// <paramref name="earlier"/> keeps it), the items of it this query asks for, and the token of the next page (null
    /// on the last). Throws <see cref="DriftQueryException"/> for a token that is not one, <see cref="DriftReportChangedException"/>
    /// for one of a report no longer kept.
    /// </summary>
    public (DriftReport Report, IEnumerable<DriftItem> Items, string? Next) Page(DriftReport current, IEnumerable<DriftReport>? earlier = null)
    {
        var (report, offset) = Continue is null ? (current, 0) : Resume(Continue, current, earlier ?? []);
        var matching = report.Items.Where(i => (Namespaces.Count == 0 || Namespaces.Contains(i.Namespace)) && (Types.Count == 0 || Types.Contains(i.Type)));
        if (Limit is not { } limit)
        {
            return (report, matching.Skip(offset), null);
        }

        var count = matching.Count();
        var next = (long)offset + limit < count ? Token(report, offset + limit) : null;
        return (report, matching.Skip(offset).Take(limit), next);
    }

    /// <summary>
    /// The report's scan time, the query's filters and limit, and the offset: a token outlives no new report, whose items
    /// may have moved, and means nothing for other filters.
    /// </summary>
    private string Token(DriftReport report, int offset) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{report.ScannedAt.UtcTicks}:{Filters()}:{offset}")));

    /// <summary>A short hash of the namespaces, types and limit, whatever their order.</summary>
    private string Filters()
    {
        var text = string.Join('\n', [.. Namespaces.Order(StringComparer.Ordinal), "|", .. Types.Order().Select(t => t.ToString()), "|", Limit?.ToString(CultureInfo.InvariantCulture) ?? ""]);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
    }

    private (DriftReport Report, int Offset) Resume(string token, DriftReport current, IEnumerable<DriftReport> earlier)
    {
        string text;
        try
        {
            text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token));
        }
        catch (FormatException)
        {
            throw new DriftQueryException("continue is not a token that /drift gave");
        }

        var parts = text.Split(':');
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            throw new DriftQueryException("continue is not a token that /drift gave");
        }

        if (parts[1] != Filters())
        {
            throw new DriftQueryException("continue was given for other filters: repeat the namespace, type and limit of the first page");
        }

        var report = current.ScannedAt.UtcTicks == ticks ? current : earlier.FirstOrDefault(r => r.ScannedAt.UtcTicks == ticks);
        return report is not null
            ? (report, offset)
            : throw new DriftReportChangedException(
                $"the drift report this page belongs to is no longer kept (reports are kept {Cluster.DriftState.PagesLast.TotalMinutes:0} minutes after they are replaced; now scanned at {current.ScannedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}); start again without continue");
    }
}

/// <summary>A <c>GET /drift</c> query that cannot be answered (400).</summary>
public sealed class DriftQueryException(string message) : Exception(message);

/// <summary>A continue token of a report that has since been replaced (410 Gone, as a Kubernetes list answers).</summary>
public sealed class DriftReportChangedException(string message) : Exception(message);
