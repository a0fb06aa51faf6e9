using System.Text.Json;
using System.Text.Json.Serialization;
using AdmissionGuard.Cli;
using AdmissionGuard.Cluster;

namespace AdmissionGuard.Hosting;

/// <summary>Wires the drift scanner into <c>serve</c>: settings, services, and <c>GET /drift</c> on the ops listener.</summary>
public static class DriftEndpoints
{
    /// <summary>
    /// Reads <c>AdmissionGuard:Drift</c>. Always registers <see cref="DriftStore"/> (metrics read it);
    /// the scanner only when enabled. Unusable settings (no kubeconfig outside a cluster) stop start-up
    /// with <see cref="InvalidSettingsException"/>.
    /// </summary>
    public static IServiceCollection AddDriftScanner(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(DriftOptions.Section);
        var options = new DriftOptions
        {
            Enabled = Flag(section, "Enabled"),
            PolicyReports = Flag(section, "PolicyReports"),
            LeaseName = section["LeaseName"] ?? DriftOptions.DefaultLeaseName,
            Namespace = section["Namespace"],
            Identity = section["Identity"],
            Kubeconfig = section["Kubeconfig"],
            Context = section["Context"],
            Remediate = Remediate(section["Remediate"]),
            RemediateAfter = RemediateAfter(section["RemediateAfter"]),
        };
        services.AddSingleton(options);
        services.AddSingleton(new DriftStore(options.Enabled));
        if (!options.Enabled)
        {
            // Reports come from the scanner: asking for them without it would silently give none.
            return options.PolicyReports
                ? throw new InvalidSettingsException([$"{DriftOptions.Section}:PolicyReports: needs the drift scanner ({DriftOptions.Section}:Enabled=true)"])
                : services;
        }

        if (string.IsNullOrWhiteSpace(options.LeaseName))
        {
            throw new InvalidSettingsException([$"{DriftOptions.Section}:LeaseName: must not be empty"]);
        }

        k8s.KubernetesClientConfiguration kubernetes;
        try
        {
            kubernetes = KubernetesApi.Configuration(
                options.Kubeconfig, options.Context, $"{DriftOptions.Section}:Kubeconfig", $"set {DriftOptions.Section}:Kubeconfig, or turn the scanner off ({DriftOptions.Section}:Enabled=false)");
        }
        catch (ClusterException e)
        {
            throw new InvalidSettingsException([$"{DriftOptions.Section}: the drift scanner needs the Kubernetes API: {e.Message}"]);
        }

        services.AddSingleton(kubernetes);
        services.AddHostedService<DriftScanner>();
        return services;
    }

    private static bool Flag(IConfigurationSection section, string key)
    {
        var value = section[key];
        if (value is { Length: > 0 } && !bool.TryParse(value.Trim(), out _))
        {
            throw new InvalidSettingsException([$"{DriftOptions.Section}:{key}: \"{value}\" is not true or false"]);
        }

        return value is { Length: > 0 } && bool.Parse(value.Trim());
    }

    private static RemediationMode Remediate(string? value) =>
        string.IsNullOrWhiteSpace(value) ? RemediationMode.None
        : !char.IsDigit(value.Trim()[0]) && Enum.TryParse<RemediationMode>(value.Trim(), ignoreCase: true, out var mode) ? mode
        : throw new InvalidSettingsException([$"{DriftOptions.Section}:Remediate: \"{Core.Excerpt.Of(value)}\" is not None, RequestSync or Apply"]);

    private static TimeSpan RemediateAfter(string? value) =>
        string.IsNullOrWhiteSpace(value) ? DriftOptions.DefaultRemediateAfter
        : Durations.TryParse(value, out var after) ? after
        : throw new InvalidSettingsException([$"{DriftOptions.Section}:RemediateAfter: \"{Core.Excerpt.Of(value)}\" is not a duration such as 5m or 300s"]);

    /// <summary>
    /// <c>GET /drift</c>: the report as JSON (<see cref="DriftJson"/>), streamed, filtered and paged as
    /// <see cref="DriftQuery"/> says; 400 for a bad query, 410 for a page of a report since replaced; 404 when the scanner is off; 503
    /// with the reason on a replica that does not hold the Lease, or before the first report.
    /// </summary>
    public static WebApplication MapDrift(this WebApplication app)
    {
        app.MapGet("/drift", (DriftStore store, DriftOptions options, HttpRequest request) =>
            {
                var state = store.State;
                if (!state.Enabled)
                {
                    return Results.Text($"the drift scanner is off ({DriftOptions.Section}:Enabled)\n", statusCode: StatusCodes.Status404NotFound);
                }

                if (state is { Reporting: true, Report: { } report })
                {
                    try
                    {
                        var (page, items, next) = DriftQuery.Parse(request.Query).Page(report, state.Earlier.Select(e => e.Report));
                        return Results.Stream(
                            stream => DriftJson.WriteAsync(stream, page, items, next, request.HttpContext.RequestAborted), "application/json");
                    }
                    catch (DriftQueryException e)
                    {
                        return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status400BadRequest);
                    }
                    catch (DriftReportChangedException e)
                    {
                        return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status410Gone);
                    }
                }

                var lease = $"{options.EffectiveNamespace}/{options.LeaseName}";
                var error = state.Reporting
                    ? $"no drift report yet: {state.Waiting}"
                    : state.Leader is { Length: > 0 } leader
                        ? $"this replica does not report drift: the Lease {lease} is held by {leader}; ask that pod (kubectl -n {options.EffectiveNamespace} port-forward pod/{leader} 8080)"
                        : $"this replica does not report drift: {state.Waiting} {lease}";
                var body = new DriftUnavailable(error, state.Leader, state.LastError);
                return Results.Json(body, DriftUnavailableJson.Default.DriftUnavailable, statusCode: StatusCodes.Status503ServiceUnavailable);
            })
            .WithMetadata(ServedOn.Ops);
        return app;
    }
}

/// <summary>Why this replica has no drift report to give, who holds the Lease, and the API server's last failure.</summary>
public sealed record DriftUnavailable(string Error, string? Leader, string? LastError);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(DriftUnavailable))]
internal sealed partial class DriftUnavailableJson : JsonSerializerContext;
