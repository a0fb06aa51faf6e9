using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Server;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Hostile;

/// <summary>
/// Any pod can reach the webhook port. Reviews built around the API server, with a label value of 5 MB in a
/// policy Git declares, must be answered within the memory the shipped Deployment gives the guard
/// (deploy/base: a 512Mi limit, of which .NET gives 75 %, 384 MiB, to the GC heap), and must not flood the audit log.
/// </summary>
public sealed class OversizedReviewMemoryTests
{
    private const int Concurrent = 16;
    private const long HeapLimit = 384L * 1024 * 1024;
    private const long MemoryLimit = 512L * 1024 * 1024;

    [Fact]
    public async Task Sixteen_concurrent_reviews_with_a_5_MB_label_are_all_answered_under_the_Deployments_memory_limit()
    {
        using var repository = new GitRepository();
        using var work = new TempDirectory();
        var commit = repository.Commit(GitOpsRepository.Files());
        var (server, webhookPort, output, reading) = await StartAsync(repository.Path, work, commit);
        try
        {
            using var webhook = DevCertificates.TrustingClient(new Uri($"https://127.0.0.1:{webhookPort}"));
            webhook.Timeout = TimeSpan.FromMinutes(2);
            var body = Encoding.UTF8.GetBytes(ReviewWithHugeLabel().ToJsonString());

            var answers = await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(async _ =>
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json");
                using var response = await webhook.PostAsync(new Uri("/validate", UriKind.Relative), content);
                return (response.StatusCode, Bytes: await response.Content.ReadAsByteArrayAsync());
            }));

            var peak = PeakResidentBytes(server.Id);
            Assert.All(answers, answer => Assert.Equal(HttpStatusCode.OK, answer.StatusCode));
            Assert.All(answers, answer => Assert.True(answer.Bytes.Length < 6 * 1024, $"an answer of {answer.Bytes.Length} bytes"));
            var response = JsonNode.Parse(answers[0].Bytes)!["response"]!;
            Assert.False(response["allowed"]!.GetValue<bool>());
            Assert.Contains("…(4999900 more)", response["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.True(peak < MemoryLimit, $"peak resident memory {peak / 1024 / 1024} MiB");

            // Every audit line is one JSON object, a few KiB at most, with the full count and the hash.
            // SIGTERM, as Kubernetes stops a pod: the log writer writes what it still holds.
            Processes.Run("kill", work.Path, "-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await reading.WaitAsync(TimeSpan.FromSeconds(30));
            var decisions = output.ToString().Split('\n').Where(line => line.Contains("\"Reason\":\"DiffersFromGit\"", StringComparison.Ordinal)).ToList();
            Assert.Equal(Concurrent, decisions.Count);
            Assert.All(decisions, line =>
            {
                Assert.True(line.Length < 8 * 1024, $"an audit line of {line.Length} characters");
                using var json = JsonDocument.Parse(line);
                Assert.Equal(3, json.RootElement.GetProperty("Differences").GetInt32());
                Assert.StartsWith("sha256:", json.RootElement.GetProperty("ObjectHash").GetString(), StringComparison.Ordinal);
            });
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }

            server.Dispose();
        }
    }

    /// <summary>
    /// The executable with the Deployment's heap limit, serving the commit. Ports are picked free and bound a moment later
    /// by another process: when another test took one meanwhile, the server exits, and it is started again on others.
    /// </summary>
    private static async Task<(System.Diagnostics.Process Server, int WebhookPort, StringBuilder Output, Task Reading)> StartAsync(string repository, TempDirectory work, string commit)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (webhookPort, opsPort) = (Ports.Free(), Ports.Free());
            var server = Executable.Start(work.Path, new Dictionary<string, string>
            {
                ["DOTNET_GCHeapHardLimit"] = "0x" + HeapLimit.ToString("x", System.Globalization.CultureInfo.InvariantCulture),
                ["Kestrel__Endpoints__Webhook__Url"] = $"https://127.0.0.1:{webhookPort}",
                ["Kestrel__Endpoints__Webhook__Certificate__Path"] = DevCertificates.CertificatePath,
                ["Kestrel__Endpoints__Webhook__Certificate__KeyPath"] = DevCertificates.KeyPath,
                ["Kestrel__Endpoints__Ops__Url"] = $"http://127.0.0.1:{opsPort}",
                ["AdmissionGuard__Git__Repository"] = repository,
                ["AdmissionGuard__Git__CacheDirectory"] = work.Combine("cache"),
            });
            var output = new StringBuilder();
            var reading = ReadLines(server, output);
            using var ops = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{opsPort}"), Timeout = TimeSpan.FromSeconds(10) };
            if (await WaitForCommit(ops, commit, server))
            {
                return (server, webhookPort, output, reading);
            }

            var errors = await server.StandardError.ReadToEndAsync();
            server.Dispose();
            Assert.True(attempt < 3, $"the server did not start: {errors}");
        }
    }

    /// <summary>default/allow-np, which Git declares, with a 5 MB label value in its podSelector and two more differences.</summary>
    private static JsonNode ReviewWithHugeLabel() => Reviews.Load("create").WithSpec($$$"""
        {"podSelector":{"matchLabels":{"app":"{{{new string('v', 5_000_000)}}}"}},"ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}]}
        """);

    /// <returns>False when the server exited first.</returns>
    private static async Task<bool> WaitForCommit(HttpClient ops, string commit, System.Diagnostics.Process server)
    {
        for (var attempt = 0; attempt < 240; attempt++)
        {
            if (server.HasExited)
            {
                return false;
            }

            try
            {
                if ((await ops.GetStringAsync(new Uri("/status", UriKind.Relative))).Contains(commit, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(250);
        }

        Assert.Fail("the baseline did not load");
        return false;
    }

    private static Task ReadLines(System.Diagnostics.Process server, StringBuilder output) => Task.Run(async () =>
    {
        while (await server.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    });

    /// <summary>The process's peak resident set (VmHWM), as the kernel counts it against a container's limit.</summary>
    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
