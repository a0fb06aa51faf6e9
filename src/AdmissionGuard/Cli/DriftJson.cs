using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Cli;

/// <summary>
/// The drift report as JSON, the same for <c>admissionguard drift --output json</c> and <c>GET /drift</c>:
/// <c>commit</c> (full SHA), <c>ref</c>, <c>scannedAt</c>, <c>summary</c> (counts) and <c>items</c>
/// (<c>namespace</c>, <c>name</c>, <c>type</c>, <c>differences</c>, <c>gitPath</c>: null when unmanaged;
/// <c>lastChange</c> and <c>breakGlass</c> when the live object tells them).
/// </summary>
public static class DriftJson
{
    private static readonly DriftJsonContext Context = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // People read this: keep '>', '&' and quotes in difference lines as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static string Serialize(DriftReport report) => JsonSerializer.Serialize(Document(report, report.Items, next: null), Context.DriftDocument);

    /// <summary>Writes the document to <paramref name="stream"/> item by item, never holding all of it as text.</summary>
    public static Task WriteAsync(Stream stream, DriftReport report, IEnumerable<DriftItem> items, string? next, CancellationToken cancel) =>
        JsonSerializer.SerializeAsync(stream, Document(report, items, next), Context.DriftDocument, cancel);

    /// <param name="items">The items to show: all of the report's, or a page of them; the summary counts all.</param>
    /// <param name="next">The continue token of the next page, if there is one.</param>
    private static DriftDocument Document(DriftReport report, IEnumerable<DriftItem> items, string? next) => new(
        report.Commit,
        report.Ref,
        report.ScannedAt,
        new DriftSummary(report.Declared, report.Live, report.Missing, report.Unmanaged, report.Modified, report.BreakGlassExpired),
        items.Select(i => new DriftDocumentItem(i.Namespace, i.Name, TypeName(i.Type), i.Differences, i.GitPath)
        {
            Via = i.Via,
            LastChange = LastChangeOf(i.LastChange),
            BreakGlass = BreakGlassOf(i.BreakGlass),
        }))
    {
        Continue = next,
    };

    public static DriftLastChange? LastChangeOf(ManagedFieldsEntry? entry) =>
        entry is null ? null : new(entry.Manager, entry.Operation.ToString(), Time(entry.Time));

    public static DriftBreakGlassDocument? BreakGlassOf(DriftBreakGlass? breakGlass) =>
        breakGlass is null ? null : new(Excerpt.Of(breakGlass.Reason, DriftBreakGlass.ReasonLength), Time(breakGlass.Expires), breakGlass.Expired);

    /// <summary>As Kubernetes writes times (<c>2026-12-01T21:48:59Z</c>), so they read the same as in managedFields.</summary>
    private static string? Time(DateTimeOffset? time) => time is { } t ? Core.Decisions.BreakGlass.Format(t) : null;

    public static string TypeName(DriftType type) => type switch
    {
        DriftType.Missing => "missing",
        DriftType.Unmanaged => "unmanaged",
        _ => "modified",
    };
}

public sealed record DriftDocument(string Commit, string Ref, DateTimeOffset ScannedAt, DriftSummary Summary, IEnumerable<DriftDocumentItem> Items)
{
    /// <summary>With <c>?limit=</c>: the token that asks for the next page (<c>?continue=</c>); absent on the last.</summary>
    [JsonPropertyOrder(1)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Continue { get; init; }
}

/// <summary>
/// <c>declared</c> and <c>live</c> count the NetworkPolicies in scope on each side; <c>breakGlassExpired</c>
/// the drifted ones whose break-glass had expired at the scan.
/// </summary>
public sealed record DriftSummary(int Declared, int Live, int Missing, int Unmanaged, int Modified, int BreakGlassExpired);

public sealed record DriftDocumentItem(string Namespace, string Name, string Type, IReadOnlyList<string> Differences, string? GitPath)
{
    /// <summary>The rendered source whose build declares the policy (<see cref="GitPath"/> is the base or component file); absent for a plain file.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Via { get; init; }

    /// <summary>Who last changed the live object; absent for missing items and when the object has no managedFields.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DriftLastChange? LastChange { get; init; }

    /// <summary>The live object's break-glass annotations; absent when it has none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DriftBreakGlassDocument? BreakGlass { get; init; }
}

/// <summary>A managedFields entry: <c>manager</c>, <c>operation</c> (<c>Update</c> or <c>Apply</c>), <c>time</c> (RFC 3339, null when not recorded).</summary>
public sealed record DriftLastChange(string Manager, string Operation, string? Time);

/// <summary><c>expires</c> is null when the annotation is missing or not an RFC 3339 time; <c>expired</c> is relative to <c>scannedAt</c>.</summary>
public sealed record DriftBreakGlassDocument(string Reason, string? Expires, bool Expired);

[JsonSerializable(typeof(DriftDocument))]
internal sealed partial class DriftJsonContext : JsonSerializerContext;
