using System.Text.Json.Nodes;
using AdmissionGuard.Tests.Server;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Cli;

/// <summary><c>admissionguard check</c> run as a process against real files and a real Git repository.</summary>
public sealed class CheckCommandTests : IDisposable
{
    private readonly CommandWorkspace _workspace = new(GitOpsRepository.Files());

    [Fact]
    public void An_allowed_review_prints_the_response_and_exits_0()
    {
        var result = Check(Fixture("create"));

        Assert.Equal(0, result.ExitCode);
        var response = JsonNode.Parse(result.Output)!["response"]!;
        Assert.True(response["allowed"]!.GetValue<bool>());
        Assert.Equal("7d38d3e3-24a0-4500-b566-160b100043dc", response["uid"]!.GetValue<string>());
        Assert.Contains($"allowed: CREATE default/allow-np against main@{_workspace.Commit[..7]}", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_denied_review_prints_the_deny_and_exits_1()
    {
        var result = Check(Fixture("update-server-side-apply"));

        Assert.Equal(1, result.ExitCode);
        var response = JsonNode.Parse(result.Output)!["response"]!;
        Assert.False(response["allowed"]!.GetValue<bool>());
        Assert.Contains($"apps/default.yaml@{_workspace.Commit[..7]}", response["status"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("spec.ingress: rule from anywhere: port TCP/443 added, port TCP/80 removed", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_status_field_in_Git_is_noted_after_the_decision()
    {
        _workspace.Repository.Commit(new Dictionary<string, string>
        {
            ["apps/default.yaml"] = GitOpsRepository.DefaultNamespace.Replace("\n---\n# Not a NetworkPolicy", "\nstatus: {}\n---\n# Not a NetworkPolicy", StringComparison.Ordinal),
        });

        var result = Check(Fixture("create"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\nnote: apps/default.yaml: document 0: status: API servers from Kubernetes 1.28 refuse this field", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Warn_mode_from_the_environment_exits_0_with_warnings()
    {
        var environment = _workspace.Environment;
        environment["AdmissionGuard__Mode"] = "Warn";

        var result = Executable.Run(_workspace.Work.Path, environment, "check", "--repo", _workspace.Repository.Path, "--review", Fixture("update-server-side-apply"));

        Assert.Equal(0, result.ExitCode);
        Assert.NotEmpty(JsonNode.Parse(result.Output)!["response"]!["warnings"]!.AsArray());
    }

    [Fact]
    public void A_ref_that_does_not_exist_is_an_error_on_one_line_with_exit_2()
    {
        var result = Executable.Run(_workspace.Work.Path, _workspace.Environment, "check", "--repo", _workspace.Repository.Path, "--ref", "release-9", "--review", Fixture("create"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("admissionguard check: ref \"release-9\" is not a branch, tag or commit of the repository", result.Errors.Trim());
        Assert.Empty(result.Output);
    }

    [Theory]
    [InlineData("missing.json", "review file not found")]
    [InlineData("not-json.json", "body is not JSON")]
    public void A_bad_review_file_is_an_error_on_one_line_with_exit_2(string file, string expected)
    {
        File.WriteAllText(_workspace.Work.Combine("not-json.json"), "kind: AdmissionReview\n");

        var result = Check(_workspace.Work.Combine(file));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Errors, StringComparison.Ordinal);
        Assert.Single(result.Errors.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_setting_is_named_and_exits_2()
    {
        var environment = _workspace.Environment;
        environment["AdmissionGuard__Trusted__Users__0"] = "*";

        var result = Executable.Run(_workspace.Work.Path, environment, "check", "--repo", _workspace.Repository.Path, "--review", Fixture("create"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("AdmissionGuard:Trusted:Users", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_usage_error_exits_2_not_1_which_means_denied()
    {
        var result = Executable.Run(_workspace.Work.Path, _workspace.Environment, "check", "--repo", _workspace.Repository.Path);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("admissionguard check: Option '--review' is required.", result.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_describes_the_options_and_exit_codes()
    {
        var result = Executable.Run(_workspace.Work.Path, null, "check", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--review", result.Output, StringComparison.Ordinal);
        Assert.Contains("--repo", result.Output, StringComparison.Ordinal);
        Assert.Contains("--ref", result.Output, StringComparison.Ordinal);
        Assert.Contains("1 denied", result.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _workspace.Dispose();

    private Executable.Result Check(string review) =>
        Executable.Run(_workspace.Work.Path, _workspace.Environment, "check", "--repo", _workspace.Repository.Path, "--review", review);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "apiserver", name + ".json");
}
