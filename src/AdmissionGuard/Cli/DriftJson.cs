using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using AdmissionGuard.Core;

namespace AdmissionGuard.Cli;

/// <summary>
/// The drift report as JSON, the same for <c>admissionguard drift --output json</c> and <c>GET /drift</c>:
/// <c>commit</c> (full SHA), <c>ref</c>, <c>scannedAt</c>, <c>summary</c> (counts) and <c>items</c>
/// (<c>namespace</c>, <c>name</c>, <c>type</c>, <c>differences</c>, <c>gitPath</c>: null when unmanaged).
/// </summary>
public static class DriftJson
{
    private static readonly DriftJsonContext Context = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        // People read this: keep '>', '&' and quotes in difference lines as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static string Serialize(DriftReport report) => JsonSerializer.Serialize(Document(report), Context.DriftDocument);

    public static DriftDocument Document(DriftReport report) => new(
        report.Commit,
        report.Ref,
        report.ScannedAt,
        new DriftSummary(report.Declared, report.Live, report.Missing, report.Unmanaged, report.Modified),
        [.. report.Items.Select(i => new DriftDocumentItem(i.Namespace, i.Name, TypeName(i.Type), [.. i.Differences], i.GitPath) { Via = i.Via })]);

    public static string TypeName(DriftType type) => type switch
    {
        DriftType.Missing => "missing",
        DriftType.Unmanaged => "unmanaged",
        _ => "modified",
    };
}

public sealed record DriftDocument(string Commit, string Ref, DateTimeOffset ScannedAt, DriftSummary Summary, IReadOnlyList<DriftDocumentItem> Items);

/// <summary><c>declared</c> and <c>live</c> count the NetworkPolicies in scope on each side.</summary>
public sealed record DriftSummary(int Declared, int Live, int Missing, int Unmanaged, int Modified);

public sealed record DriftDocumentItem(string Namespace, string Name, string Type, IReadOnlyList<string> Differences, string? GitPath)
{
    /// <summary>The rendered source whose build declares the policy (<see cref="GitPath"/> is the base or component file); absent for a plain file.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Via { get; init; }
}

[JsonSerializable(typeof(DriftDocument))]
internal sealed partial class DriftJsonContext : JsonSerializerContext;
