using System.Text.Json;
using System.Text.Json.Serialization;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Git;
using Microsoft.Extensions.Options;

namespace AdmissionGuard.Hosting;

/// <summary>The ops listener's <c>GET /status</c>: which commit is enforced, and how refreshing goes.</summary>
public static class StatusEndpoints
{
    public static WebApplication MapStatus(this WebApplication app)
    {
        app.MapGet("/status", (BaselineStore store, DecisionSettings settings, IOptions<GitSettings> git) =>
                Results.Json(Report(store.State, settings, git.Value), StatusJson.Default.StatusReport))
            .WithMetadata(ServedOn.Ops);
        return app;
    }

    public static StatusReport Report(BaselineState state, DecisionSettings settings, GitSettings git) => new(
        state.Baseline?.Commit,
        state.Baseline?.Ref ?? git.Ref,
        git.DisplayRepository,
        state.Baseline?.LoadedAt,
        state.Baseline?.Count ?? 0,
        settings.Mode.ToString(),
        state.LastError is { } error ? new StatusError(error.Message, error.Commit, error.Path, error.At) : null,
        state.Source,
        state.LastSuccessAt,
        state.LastFailureAt,
        state.ConsecutiveFailures,
        state.Baseline?.Notices ?? [],
        state.Sources);
}

public sealed record StatusReport(
    string? Commit,
    string Ref,
    string Repository,
    DateTimeOffset? LoadedAt,
    int ObjectCount,
    string Mode,
    StatusError? LastError,
    string Source,
    DateTimeOffset? LastSuccessAt,
    DateTimeOffset? LastFailureAt,
    int ConsecutiveFailures,
    IReadOnlyList<string> Notices,
    IReadOnlyList<Git.Sources.SourceReport> Sources);

public sealed record StatusError(string Message, string? Commit, string? Path, DateTimeOffset At);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StatusReport))]
internal sealed partial class StatusJson : JsonSerializerContext;
