using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// Just enough of an API server on 127.0.0.1 for a whole guard's drift scanner at scale: COUNT live NetworkPolicies
/// (<see cref="Fixtures.Live"/>, equal to the repository that <c>make-fixture</c> writes) listed in pages, a watch that
/// stays open and quiet, and the scanner's Lease. Answers take the shapes of the recorded API-server answers in
/// <c>tests/AdmissionGuard.Tests/Fixtures/apiserver/cluster/</c>: <c>list-01-limit-2-page1.json</c> (a page with its
/// continue token) and <c>errors-404-not-found.json</c> (a Lease not created yet, anything else); the Lease is echoed
/// back with a new resourceVersion, as the tests' <c>KubernetesApiStub</c> does.
/// </summary>
internal sealed class LiveApiServer(int count)
{
    private JsonObject? _lease;
    private int _resourceVersion = 48213;

    public static async Task<int> RunAsync(int count, int port)
    {
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        Console.WriteLine($"serving {count} live NetworkPolicies on http://127.0.0.1:{port}");
        var server = new LiveApiServer(count);
        while (listener.IsListening)
        {
            var context = await listener.GetContextAsync();
            _ = Task.Run(() => server.AnswerAsync(context));
        }

        return 0;
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        try
        {
            if (path == "/apis/networking.k8s.io/v1/networkpolicies" && request.QueryString["watch"] is "true" or "1")
            {
                // A watch with nothing to say: open until the guard stops.
                context.Response.ContentType = "application/json";
                context.Response.SendChunked = true;
                await context.Response.OutputStream.FlushAsync();
                await Task.Delay(Timeout.Infinite);
            }
            else if (path == "/apis/networking.k8s.io/v1/networkpolicies")
            {
                var start = int.TryParse(request.QueryString["continue"], out var next) ? next : 0;
                var limit = int.TryParse(request.QueryString["limit"], out var asked) && asked > 0 ? asked : count;
                await WriteAsync(context, 200, Page(start, Math.Min(count, start + limit)));
            }
            else if (path.StartsWith("/apis/coordination.k8s.io/v1/namespaces/", StringComparison.Ordinal))
            {
                await LeaseAsync(context, request);
            }
            else
            {
                await WriteAsync(context, 404, NotFound(path));
            }
        }
        catch (HttpListenerException)
        {
            // The guard went away.
        }
    }

    private JsonObject Page(int start, int end) => new()
    {
        ["apiVersion"] = "networking.k8s.io/v1",
        ["kind"] = "NetworkPolicyList",
        ["metadata"] = end < count
            ? new JsonObject { ["resourceVersion"] = "48213", ["continue"] = end.ToString(System.Globalization.CultureInfo.InvariantCulture) }
            : new JsonObject { ["resourceVersion"] = "48213" },
        ["items"] = new JsonArray([.. Enumerable.Range(start, end - start).Select(i => (JsonNode)Fixtures.Live(i, PolicyCase.Equal, labelAdded: false))]),
    };

    private async Task LeaseAsync(HttpListenerContext context, HttpListenerRequest request)
    {
        if (request.HttpMethod is "POST" or "PUT")
        {
            using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
            var lease = JsonNode.Parse(await reader.ReadToEndAsync())!.AsObject();
            lease["metadata"]!["resourceVersion"] = Interlocked.Increment(ref _resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _lease = lease;
            await WriteAsync(context, request.HttpMethod == "POST" ? 201 : 200, lease);
        }
        else if (_lease is { } held)
        {
            await WriteAsync(context, 200, held);
        }
        else
        {
            await WriteAsync(context, 404, NotFound(request.Url!.AbsolutePath));
        }
    }

    private static JsonObject NotFound(string path) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = $"{path} not found",
        ["reason"] = "NotFound",
        ["code"] = 404,
    };

    private static async Task WriteAsync(HttpListenerContext context, int status, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }
}
