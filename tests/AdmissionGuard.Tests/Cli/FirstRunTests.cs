using System.Text;
using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Cli;

/// <summary>
/// The first thing a new user runs: the server with no settings (only the ports moved off 8443/8080 so
/// tests can run beside anything else) makes its certificate, loads the built-in example and prints
/// commands that work.
/// </summary>
public sealed class FirstRunTests
{
    [Fact]
    public async Task With_no_settings_the_server_makes_a_certificate_loads_the_example_and_prints_commands_that_work()
    {
        using var work = new TempDirectory();
        var (webhook, ops) = (Ports.Free(), Ports.Free());
        var environment = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Webhook__Url"] = $"https://127.0.0.1:{webhook}",
            ["Kestrel__Endpoints__Ops__Url"] = $"http://127.0.0.1:{ops}",
            ["AdmissionGuard__Git__CacheDirectory"] = work.Combine("cache"),
        };
        using var server = Executable.Start(work.Path, environment);
        var output = new StringBuilder();
        var commands = new List<string>();
        try
        {
            while (commands.Count < 2 && await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
            {
                output.AppendLine(line);
                if (line.TrimStart().StartsWith("curl ", StringComparison.Ordinal))
                {
                    commands.Add(line.Trim());
                }
            }

            Assert.True(File.Exists(work.Combine("certs-dev", "tls.crt")), output.ToString());
            Assert.True(File.Exists(work.Combine("certs-dev", "ca.crt")), output.ToString());
            Assert.Contains("3 NetworkPolicies from the built-in example repository", output.ToString(), StringComparison.Ordinal);
            Assert.Equal(2, commands.Count);
            var allowed = JsonNode.Parse(Processes.Run("bash", work.Path, "-c", commands[0]))!["response"]!;
            var denied = JsonNode.Parse(Processes.Run("bash", work.Path, "-c", commands[1]))!["response"]!;
            Assert.True(allowed["allowed"]!.GetValue<bool>());
            Assert.False(denied["allowed"]!.GetValue<bool>());
            Assert.Contains("from ipBlock 0.0.0.0/0 port TCP/5432", denied["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }
}
