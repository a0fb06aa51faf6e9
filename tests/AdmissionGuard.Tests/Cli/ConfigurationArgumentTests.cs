using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Drift;
using AdmissionGuard.Tests.Server;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Cli;

/// <summary>check and drift, run in process, take configuration arguments beside their options, in both ASP.NET forms.</summary>
public sealed class ConfigurationArgumentTests : IDisposable
{
    private readonly GitRepository _repository = new();
    private readonly TempDirectory _work = new();

    private string Cache => $"--AdmissionGuard:Git:CacheDirectory={_work.Combine("cache")}";

    public static TheoryData<string[], int> CheckModes => new()
    {
        { ["--AdmissionGuard:Mode=Enforce"], 1 },
        { ["--AdmissionGuard:Mode=Warn"], 0 },
        { ["--AdmissionGuard:Mode", "Warn"], 0 },
        { ["--admissionguard:mode=Warn"], 0 },
        { ["--Kestrel:Endpoints:Ops:Url=http://127.0.0.1:1", "--AdmissionGuard:Mode=Warn"], 0 },
    };

    [Theory]
    [MemberData(nameof(CheckModes))]
    public async Task Check_takes_the_mode_from_a_configuration_argument(string[] configuration, int exit)
    {
        _repository.Commit(GitOpsRepository.Files());
        var review = Path.Combine(AppContext.BaseDirectory, "Fixtures", "apiserver", "update-server-side-apply.json");

        var result = await InProcessCli.RunAsync(["check", "--repo", _repository.Path, .. configuration, "--review", review, Cache]);

        Assert.True(result.ExitCode == exit, $"exit {result.ExitCode}, stderr: {result.Errors}");
        var response = JsonNode.Parse(result.Output)!["response"]!;
        Assert.Equal(exit == 0, response["allowed"]!.GetValue<bool>());
        Assert.Equal(exit == 0, response["warnings"] is JsonArray { Count: > 0 });
    }

    public static TheoryData<string[], int> DriftScopes => new()
    {
        { [], 1 },
        // A configured list replaces the default (kube-system), so it is named again.
        { ["--AdmissionGuard:ExcludedNamespaces:0=shop", "--AdmissionGuard:ExcludedNamespaces:1=kube-system"], 0 },
        { ["--AdmissionGuard:ExcludedNamespaces:0", "shop", "--AdmissionGuard:ExcludedNamespaces:1", "kube-system"], 0 },
        { ["--Kestrel:Endpoints:Ops:Url=http://127.0.0.1:1"], 1 },
    };

    [Theory]
    [MemberData(nameof(DriftScopes))]
    public async Task Drift_takes_the_governed_namespaces_from_configuration_arguments(string[] configuration, int exit)
    {
        _repository.Commit(DriftFixtures.GitFiles());

        var result = await InProcessCli.RunAsync(["drift", "--repo", _repository.Path, "--live", DriftFixtures.Live("cluster.yaml"), .. configuration, "-o", "json", Cache]);

        Assert.True(result.ExitCode == exit, $"exit {result.ExitCode}, stderr: {result.Errors}");
        Assert.Equal(exit == 1, JsonNode.Parse(result.Output)!["items"]!.AsArray().Count > 0);
    }

    public void Dispose()
    {
        _repository.Dispose();
        _work.Dispose();
    }
}
