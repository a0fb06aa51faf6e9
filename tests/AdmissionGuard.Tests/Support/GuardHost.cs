using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using AdmissionGuard.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace AdmissionGuard.Tests.Support;

/// <summary>
/// The real server, in process: Kestrel on two free loopback ports (webhook over TLS with the
/// development certificate, ops over plain HTTP), reading a real Git repository.
/// </summary>
public sealed class GuardHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempDirectory _cache;

    private GuardHost(WebApplication app, TempDirectory cache, int webhookPort, int opsPort, CollectingSink logs)
    {
        _app = app;
        _cache = cache;
        Logs = logs;
        Webhook = DevCertificates.TrustingClient(new Uri($"https://127.0.0.1:{webhookPort}"));
        Ops = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{opsPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Webhook { get; }

    public Uri WebhookAddress => Webhook.BaseAddress!;

    public HttpClient Ops { get; }

    public CollectingSink Logs { get; }

    /// <summary>The baseline the server enforces, for a test that puts one in force by hand.</summary>
    internal Git.BaselineStore Baselines => _app.Services.GetRequiredService<Git.BaselineStore>();

    /// <summary>Configuration that serves the webhook with tls.crt and tls.key from <paramref name="folder"/> instead of the development pair.</summary>
    public static Dictionary<string, string?> ServedWith(string folder) => new()
    {
        ["Kestrel:Endpoints:Webhook:Certificate:Path"] = Path.Combine(folder, "tls.crt"),
        ["Kestrel:Endpoints:Webhook:Certificate:KeyPath"] = Path.Combine(folder, "tls.key"),
    };

    /// <param name="settings">AdmissionGuard settings as configuration keys relative to the AdmissionGuard section, e.g. "Mode" => "Warn".</param>
    /// <param name="configuration">Other configuration keys, whole (e.g. Kestrel's).</param>
    public static Task<GuardHost> StartAsync(
        string repository,
        IReadOnlyDictionary<string, string?>? settings = null,
        IReadOnlyDictionary<string, string?>? configuration = null,
        TimeProvider? clock = null) =>
        Ports.RetryWhenTaken(() => StartOnceAsync(repository, settings, configuration, clock));

    private static async Task<GuardHost> StartOnceAsync(
        string repository, IReadOnlyDictionary<string, string?>? settings, IReadOnlyDictionary<string, string?>? configuration, TimeProvider? clock)
    {
        var (webhookPort, opsPort) = (Ports.Free(), Ports.Free());
        var logs = new CollectingSink();
        var cache = new TempDirectory();
        var values = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Webhook:Url"] = $"https://127.0.0.1:{webhookPort}",
            ["Kestrel:Endpoints:Webhook:Certificate:Path"] = DevCertificates.CertificatePath,
            ["Kestrel:Endpoints:Webhook:Certificate:KeyPath"] = DevCertificates.KeyPath,
            ["Kestrel:Endpoints:Ops:Url"] = $"http://127.0.0.1:{opsPort}",
            ["AdmissionGuard:Git:Repository"] = repository,
            ["AdmissionGuard:Git:CacheDirectory"] = cache.Path,
            ["AdmissionGuard:Git:RefreshInterval"] = "1h",
            ["AdmissionGuard:Trusted:Users:0"] = "system:serviceaccount:argocd:argocd-application-controller",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values["AdmissionGuard:" + key] = value;
        }

        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var app = GuardServer.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(values);
            builder.Services.AddSingleton<ILogEventSink>(logs);
            if (clock is not null)
            {
                builder.Services.AddSingleton(clock);
            }
        });
        try
        {
            await app.StartAsync();
        }
        catch (IOException)
        {
            // The hosted services (the Git refresh) started before Kestrel failed to bind: stop them before the cache goes.
            await app.StopAsync();
            await app.DisposeAsync();
            cache.Dispose();
            throw;
        }

        return new GuardHost(app, cache, webhookPort, opsPort, logs);
    }

    /// <summary>Waits until /status reports the commit (the baseline loads in the background).</summary>
    public async Task<JsonObject> WaitForCommitAsync(string commit)
    {
        JsonObject? status = null;
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            status = await StatusAsync();
            if (status["commit"]?.GetValue<string>() == commit)
            {
                return status;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"baseline {commit} not loaded; last status: {status}");
    }

    /// <summary>Waits until /status reports a refresh error.</summary>
    public async Task<JsonObject> WaitForErrorAsync()
    {
        JsonObject? status = null;
        for (var attempt = 0; attempt < 1200; attempt++)
        {
            status = await StatusAsync();
            if (status["lastError"] is JsonObject)
            {
                return status;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no refresh error reported; last status: {status}");
    }

    public async Task<JsonObject> StatusAsync() =>
        (JsonObject)(await Ops.GetFromJsonAsync<JsonNode>("/status"))!;

    /// <summary>Posts an AdmissionReview to /validate as the API server does (with ?timeout=5s) and returns the response object.</summary>
    public async Task<JsonObject> ReviewAsync(JsonNode review)
    {
        using var response = await PostAsync(review.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("admission.k8s.io/v1", body["apiVersion"]?.GetValue<string>());
        Assert.Equal("AdmissionReview", body["kind"]?.GetValue<string>());
        return (JsonObject)body["response"]!;
    }

    public Task<HttpResponseMessage> PostAsync(string body) =>
        Webhook.PostAsync("/validate?timeout=5s", new StringContent(body, Encoding.UTF8, "application/json"));

    public async ValueTask DisposeAsync()
    {
        Webhook.Dispose();
        Ops.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _cache.Dispose();
    }
}
