using System.Collections.Immutable;
using LibGit2Sharp;

namespace AdmissionGuard.Git.Sources;

/// <summary>Sources named by the GitOps tools' own objects in the repository (<c>Git:Discover</c>).</summary>
internal static class SourceDiscovery
{
    public static ImmutableArray<ManifestSource> Find(SourcePlan plan, Dictionary<string, Blob> blobs, string commitSha) =>
        plan.Discover == DiscoverTools.None ? [] : [];
}
