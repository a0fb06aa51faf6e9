using AdmissionGuard.Git;

namespace AdmissionGuard.Hosting;

/// <summary>
/// With the built-in example, tells a first-time user what is running and gives two commands to paste:
/// one AdmissionReview that is allowed and one that is denied.
/// </summary>
internal sealed class WelcomeBanner(BaselineStore store, IConfiguration configuration, IHostApplicationLifetime lifetime, IHostEnvironment environment) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(started.SetResult);
        await started.Task.WaitAsync(stoppingToken);
        for (var i = 0; i < 300 && store.State.Baseline is null && store.State.LastError is null; i++)
        {
            await Task.Delay(100, stoppingToken);
        }

        await Console.Out.WriteAsync(Text(store.State, configuration, environment.ContentRootPath));
        await Console.Out.FlushAsync(stoppingToken);
    }

    public static string Text(BaselineState state, IConfiguration configuration, string contentRoot)
    {
        var webhook = (configuration["Kestrel:Endpoints:Webhook:Url"] ?? "https://127.0.0.1:8443").TrimEnd('/');
        var ops = (configuration["Kestrel:Endpoints:Ops:Url"] ?? "http://127.0.0.1:8080").TrimEnd('/');
        var certificate = Path.GetFullPath(configuration["Kestrel:Endpoints:Webhook:Certificate:Path"] ?? DevelopmentCertificate.DefaultCertificatePath, contentRoot);
        var authority = Path.Combine(Path.GetDirectoryName(certificate)!, "ca.crt");
        var reviews = Path.Combine(BuiltInExample.ExamplesFolder, "reviews");
        var loaded = state.Baseline is { } baseline
            ? $"{baseline.Count} NetworkPolicies from the built-in example repository (examples/gitops), {baseline.Ref}@{baseline.ShortCommit}"
            : $"not loaded: {state.LastError?.Message}";
        return $"""

            AdmissionGuard is running on its built-in example (set AdmissionGuard__Git__Repository to use your own repository).
              webhook   {webhook}/validate  (TLS certificate {certificate})
              status    {ops}/status
              baseline  {loaded}
            Try it (one allowed, one denied):
              curl -s --cacert {authority} -H 'Content-Type: application/json' --data-binary @{Path.Combine(reviews, "allowed.json")} {webhook}/validate
              curl -s --cacert {authority} -H 'Content-Type: application/json' --data-binary @{Path.Combine(reviews, "denied.json")} {webhook}/validate


            """;
    }
}
