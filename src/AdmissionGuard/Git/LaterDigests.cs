using AdmissionGuard.Core;
using LibGit2Sharp;

namespace AdmissionGuard.Git;

/// <summary>
/// The served-spec digests of a baseline read without them (<see cref="ManifestReadOptions.WithoutDigest"/>), made once
/// it is in force. A new pod's first decision waits for its whole read; a digest is a third of it, and until it exists
/// a review whose spec is Git's is only read in full instead of being recognised by its bytes, with the same answer.
/// </summary>
/// <remarks>
/// Each file is read again from its blob, by the same reader with the digest made, on one parsing thread fewer than CPUs
/// so that reviews arriving meanwhile have one. A digest is kept only for a policy the new read declares at the same
/// place with the same spec as the baseline: the digest's rendering was read back into that spec
/// (<see cref="Core.Policy.ServedSpec"/>), so it is the baseline policy's in every case.
/// </remarks>
internal static class LaterDigests
{
    /// <summary>The commit with every policy's digest that can be made; <paramref name="loaded"/> itself when none was missing.</summary>
    /// <param name="reused">What the next commit's read takes from unchanged files: given the policies with their digests.</param>
    public static LoadedCommit Add(Repository repo, LoadedCommit loaded, GitSettings settings, ParsedManifests? reused)
    {
        var (files, declared) = (loaded.Files, loaded.Declared);
        if (!declared.Any(policies => policies.Any(p => p.ServedDigest is null && p.ServedSpec is null)))
        {
            return loaded;
        }

        var texts = new string?[files.Count];
        var withDigests = new IReadOnlyList<DeclaredPolicy>[files.Count];
        var pacer = new ReadGarbagePacer();
        BaselineLoader.ReadThenParse(
            files.Count,
            i =>
            {
                withDigests[i] = declared[i];
                if (files[i].BlobId is not { } blob || files[i].Rendered || declared[i].All(p => p.ServedDigest is not null))
                {
                    return false;
                }

                texts[i] = BaselineLoader.ReadBlob(repo, files[i].Path, new ObjectId(blob), loaded.Baseline.Commit);
                return true;
            },
            index =>
            {
                var text = texts[index]!;
                texts[index] = null;
                try
                {
                    withDigests[index] = WithDigests(files[index], text, declared[index], settings);
                }
                finally
                {
                    pacer.Parsed(text.Length);
                }
            },
            parsers: Math.Max(1, Environment.ProcessorCount - 1));

        var baseline = loaded.Baseline;
        var entries = withDigests.SelectMany(policies => policies).Select(d => d.Entry());
        reused?.Keep(files, withDigests);
        return loaded with { Baseline = new Baseline(baseline.Commit, baseline.Ref, baseline.LoadedAt, entries, baseline.Notices), Declared = withDigests };
    }

    /// <summary>The file's policies, each with the digest its text gives when it declares it at the same place with the same spec.</summary>
    private static IReadOnlyList<DeclaredPolicy> WithDigests(ManifestFile file, string text, IReadOnlyList<DeclaredPolicy> declared, GitSettings settings)
    {
        IReadOnlyList<DeclaredPolicy> read;
        try
        {
            read = ManifestReader.Read(file.Path, text, file.ReadOptions(settings.DefaultNamespace));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The blob read the first time: it cannot fail now but through a bug, and without a digest the policy is read in full.
            return declared;
        }

        if (read.Count != declared.Count)
        {
            return declared;
        }

        var result = new DeclaredPolicy[declared.Count];
        for (var i = 0; i < declared.Count; i++)
        {
            var (kept, again) = (declared[i], read[i]);
            result[i] = kept.ServedDigest is null && again.ServedDigest is { } digest
                && again.Policy.Id == kept.Policy.Id && again.DocumentIndex == kept.DocumentIndex && again.Policy.Spec.Equals(kept.Policy.Spec)
                ? kept with { ServedDigest = digest }
                : kept;
        }

        return result;
    }
}
