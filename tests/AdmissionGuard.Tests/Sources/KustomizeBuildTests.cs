using AdmissionGuard.Git.Sources;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Sources;

/// <summary>The kustomize process itself: what the guard does when it misbehaves.</summary>
public sealed class KustomizeBuildTests
{
    [Fact]
    public async Task A_render_past_its_output_bound_is_stopped_and_refused_naming_the_kustomization_not_left_to_its_timeout()
    {
        using var folder = new TempDirectory();

        // `yes` writes without end, as a kustomization that expands without bound would.
        var build = new KustomizeBuild(new KustomizeOptions(["bash", "-c", "yes", "kustomize"], LoadRestrictorNone: true, TimeSpan.FromSeconds(30), StrictSubstitution: false), maxOutput: 1024 * 1024);

        var error = await Assert.ThrowsAsync<RenderException>(() => build.RunAsync(folder.Path, "root/kustomization.yaml", CancellationToken.None));

        Assert.Equal("root/kustomization.yaml", error.File);
        Assert.StartsWith("root/kustomization.yaml: kustomize wrote more than 1 MiB", error.Message, StringComparison.Ordinal);
    }
}
