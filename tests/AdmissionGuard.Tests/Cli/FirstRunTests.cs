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
        using var server = StartWithNoSettings(work);
        try
        {
            var (output, commands) = await ReadUntilTheCommands(server);

            Assert.True(File.Exists(work.Combine("certs-dev", "tls.crt")), output);
            Assert.True(File.Exists(work.Combine("certs-dev", "ca.crt")), output);
            Assert.Contains("3 NetworkPolicies from the built-in example repository", output, StringComparison.Ordinal);
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

    [Fact]
    public async Task Every_audit_line_is_written_by_the_time_the_server_has_stopped()
    {
        using var work = new TempDirectory();
        using var server = StartWithNoSettings(work);
        try
        {
            var (_, commands) = await ReadUntilTheCommands(server);
            Assert.Equal(2, commands.Count);
            Processes.Run("bash", work.Path, "-c", commands[0]);
            Processes.Run("bash", work.Path, "-c", commands[1]);

            // SIGTERM, as Kubernetes stops a pod: what the background writer still holds is written on the way out.
            Processes.Run("kill", work.Path, "-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var rest = await server.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

            var decisions = rest.Split('\n').Where(line => line.Contains("\"Reason\":", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, decisions.Count);
            Assert.Contains(decisions, line => line.Contains("\"Reason\":\"MatchesGit\"", StringComparison.Ordinal));
            Assert.Contains(decisions, line => line.Contains("\"Reason\":\"DiffersFromGit\"", StringComparison.Ordinal));
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>The server with no settings but its ports (moved off 8443/8080) and cache, plus <paramref name="settings"/>.</summary>
    private static System.Diagnostics.Process StartWithNoSettings(TempDirectory work, params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Webhook__Url"] = $"https://127.0.0.1:{Ports.Free()}",
            ["Kestrel__Endpoints__Ops__Url"] = $"http://127.0.0.1:{Ports.Free()}",
            ["AdmissionGuard__Git__CacheDirectory"] = work.Combine("cache"),
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return Executable.Start(work.Path, environment);
    }

    /// <summary>Reads standard output up to the two curl commands the welcome banner prints.</summary>
    private static async Task<(string Output, List<string> Commands)> ReadUntilTheCommands(System.Diagnostics.Process server)
    {
        var output = new StringBuilder();
        var commands = new List<string>();
        while (commands.Count < 2 && await server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
        {
            output.AppendLine(line);
            if (line.TrimStart().StartsWith("curl ", StringComparison.Ordinal))
            {
                commands.Add(line.Trim());
            }
        }

        return (output.ToString(), commands);
    }
}
