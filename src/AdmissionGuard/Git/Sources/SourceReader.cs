using System.Diagnostics;
using LibGit2Sharp;
using Microsoft.Extensions.FileSystemGlobbing;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Reads one commit through its sources: plain folders as files, kustomize roots rendered by the real kustomize
/// on a checkout of the commit (in parallel, two at a time), each placed and substituted as its GitOps tool does.
/// The result is the manifest texts of the baseline; a source that cannot be rendered makes the commit invalid.
/// </summary>
internal sealed class SourceReader(GitSettings settings, SourcePlan plan)
{
    /// <returns>The manifest texts (files and renders) and a report per source, in the order sources were found.</returns>
    public (IReadOnlyList<ManifestFile> Files, IReadOnlyList<SourceReport> Sources) Read(Repository repo, string commitSha, CancellationToken cancel = default)
    {
        var commit = repo.Lookup<Commit>(commitSha) ?? throw new BaselineLoadException($"commit {commitSha} not found", commitSha);
        var blobs = new Dictionary<string, Blob>(StringComparer.Ordinal);
        Collect(commit.Tree, "", blobs);
        var sources = plan.Configured.AddRange(SourceDiscovery.Find(plan, blobs, commitSha, settings.Ref));

        var rendered = sources.Where(s => s.NotRendered is null && RenderOf(s, blobs) == RenderMode.Kustomize).ToList();
        RepositoryCheckout? checkout = null;
        KustomizationScan? scan = null;
        try
        {
            if (rendered.Count > 0)
            {
                checkout = RepositoryCheckout.Extract(commit.Tree, Path.Combine(settings.EffectiveCacheDirectory, "checkouts"), commitSha);
                scan = Prepare(checkout, rendered, commitSha);
            }

            var results = new (IReadOnlyList<ManifestFile> Files, SourceReport Report)[sources.Length];
            var renders = new List<Task>();
            for (var i = 0; i < sources.Length; i++)
            {
                var (index, source) = (i, sources[i]);
                if (source.NotRendered is { } reason)
                {
                    results[index] = ([], new SourceReport(source.DisplayPath, source.FoundBy, "not rendered", null, 0, reason));
                }
                else if (RenderOf(source, blobs) == RenderMode.Plain)
                {
                    results[index] = (Plain(source, blobs, commitSha), new SourceReport(source.DisplayPath, source.FoundBy, "plain", null, 0, null));
                }
                else
                {
                    renders.Add(Task.Run(
                        async () =>
                        {
                            try
                            {
                                results[index] = await RenderAsync(source, checkout!, scan!, commitSha, cancel).ConfigureAwait(false);
                            }
                            catch (RenderException e)
                            {
                                throw new BaselineLoadException($"{e.Message} (rendering {source})", commitSha, e.File, e) { FailedSource = source.ToString() };
                            }
                        },
                        cancel));
                }
            }

            try
            {
                Task.WaitAll([.. renders], cancel);
            }
            catch (AggregateException)
            {
                // The first failing source in the order they were found, as a sequential read would report it, with its
                // own exception (an IOException stays one, and is retried as one).
                if (renders.FirstOrDefault(t => t.IsFaulted)?.Exception?.InnerException is { } first)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
                }

                // None failed: they were cancelled, as the whole read is.
                throw new OperationCanceledException(cancel);
            }

            return ([.. results.SelectMany(r => r.Files)], [.. results.Select(r => r.Report)]);
        }
        finally
        {
            checkout?.Dispose();
        }
    }

    /// <summary>
    /// Auto is kustomize when the folder holds a kustomization file, or when the tool's edits need a build: Flux then
    /// generates a kustomization of the folder's manifests, and so does the guard.
    /// </summary>
    private static RenderMode RenderOf(ManifestSource source, Dictionary<string, Blob> blobs) => source.Render switch
    {
        RenderMode.Auto => HasKustomization(source.Path, blobs) || !source.Edits.WithoutNamespace.IsEmpty ? RenderMode.Kustomize : RenderMode.Plain,
        var mode => mode,
    };

    private static bool HasKustomization(string folder, Dictionary<string, Blob> blobs) =>
        KustomizationScan.FileNames.Any(name => blobs.ContainsKey(Join(folder, name)));

    /// <summary>Checks every kustomization the renders will read, one at a time, before any render runs; the scan knows what each reaches.</summary>
    private static KustomizationScan Prepare(RepositoryCheckout checkout, List<ManifestSource> rendered, string commitSha)
    {
        var scan = new KustomizationScan(checkout);
        foreach (var source in rendered)
        {
            var folder = checkout.Full(source.Path);
            if (!Directory.Exists(folder))
            {
                throw new BaselineLoadException($"{source}: folder not found in the commit", commitSha, source.Path);
            }

            if (KustomizationScan.FileIn(folder) is null)
            {
                GeneratedKustomization.Write(folder);
            }

            try
            {
                scan.Visit(folder);
            }
            catch (RenderException e)
            {
                throw new BaselineLoadException($"{e.Message} (rendering {source})", commitSha, e.File, e) { FailedSource = source.ToString() };
            }
        }

        return scan;
    }

    private List<ManifestFile> Plain(ManifestSource source, Dictionary<string, Blob> blobs, string commitSha)
    {
        var prefix = source.Path.Length == 0 ? "" : source.Path + "/";
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddIncludePatterns(source.Include);
        matcher.AddExcludePatterns(source.Exclude);
        var inside = blobs.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p[prefix.Length..]).ToList();
        if (inside.Count == 0)
        {
            throw new BaselineLoadException($"{source}: folder not found in the commit", commitSha, source.Path);
        }

        var files = new List<ManifestFile>();
        foreach (var relative in matcher.Match(inside).Files.Select(f => f.Path).Order(StringComparer.Ordinal))
        {
            var path = prefix + relative;
            var blob = blobs[path];
            if (blob.Size > ManifestReader.MaxFileBytes)
            {
                throw new BaselineLoadException($"{path}: file is larger than {ManifestReader.MaxFileBytes / 1024 / 1024} MiB", commitSha, path);
            }

            var text = Substituted(ManifestText.Decode(path, blob, commitSha), source, path, commitSha);
            files.Add(new ManifestFile(path, text) { Namespace = source.Namespace, TargetNamespace = source.TargetNamespace, Source = source.ToString() });
        }

        return files;
    }

    /// <summary>
    /// Renders a source and reads the render at once, while other sources are still rendering. The file declaring each
    /// policy is found by name among the build's resource files (<see cref="Provenance"/>); when that cannot tell for
    /// every policy, the source is rendered again with kustomize's origin annotations, which name it themselves.
    /// </summary>
    private async Task<(IReadOnlyList<ManifestFile>, SourceReport)> RenderAsync(
        ManifestSource source, RepositoryCheckout shared, KustomizationScan scan, string commitSha, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();

        // Components a GitOps tool adds may bring resources the scan never saw: kustomize names their files itself.
        var byName = source.Edits.Components.IsEmpty ? scan.ProvenanceOf(shared.Full(source.Path), source.Edits) : null;
        var (file, queued) = await BuildAsync(source, shared, annotate: byName is null, commitSha, cancel).ConfigureAwait(false);
        var read = TryRead(file, byName is null ? null : byName.FileOf);
        // Also when the render cannot be read: the error then names the file to fix, as kustomize's annotations tell it.
        if (byName is not null && (read is null || read.Any(p => p.Via is null)))
        {
            TimeSpan queuedAgain;
            (file, queuedAgain) = await BuildAsync(source, shared, annotate: true, commitSha, cancel).ConfigureAwait(false);
            (byName, read, queued) = (null, TryRead(file, null), queued + queuedAgain);
        }

        if (read is not null)
        {
            file = file with
            {
                Read = read,
                Origins = byName is null ? null : read.DistinctBy(p => p.Policy.Name).ToDictionary(p => p.Policy.Name, p => p.Path, StringComparer.Ordinal),
            };
        }

        // This source's own time: not the wait for a render slot while other sources were built.
        var seconds = (Stopwatch.GetElapsedTime(started) - queued).TotalSeconds;
        return ([file], new SourceReport(source.DisplayPath, source.FoundBy, "kustomize", seconds, 0, null) { Provenance = byName is null ? "origin annotations" : "names" });
    }

    /// <summary>One kustomize build of the source, on the shared checkout or, for the tool's edits or origin annotations, on a copy of it.</summary>
    private async Task<(ManifestFile File, TimeSpan Queued)> BuildAsync(ManifestSource source, RepositoryCheckout shared, bool annotate, string commitSha, CancellationToken cancel)
    {
        using var own = annotate || !source.Edits.WithoutNamespace.IsEmpty ? shared.Copy() : null;
        var checkout = own ?? shared;
        var folder = checkout.Full(source.Path);
        var name = checkout.Relative(KustomizationScan.FileIn(folder)!)!;
        if (annotate)
        {
            new KustomizationScan(checkout, annotate: true).Visit(folder);
        }

        if (!source.Edits.WithoutNamespace.IsEmpty)
        {
            KustomizationEdit.Apply(KustomizationScan.FileIn(folder)!, source.Edits, name);
        }

        var (output, queued) = await new KustomizeBuild(plan.Kustomize).RunAsync(folder, name, cancel).ConfigureAwait(false);
        var text = Substituted(output, source, name, commitSha);
        return (new ManifestFile(source.Path, text)
        {
            Namespace = source.Namespace,
            TargetNamespace = source.TargetNamespace ?? source.Edits.Namespace,
            Rendered = true,
            Source = source.ToString(),
        }, queued);
    }

    /// <summary>The render read with the given provenance; null when it cannot be read, which the baseline's read then reports in source order.</summary>
    private IReadOnlyList<DeclaredPolicy>? TryRead(ManifestFile file, Func<string, string?>? originOf)
    {
        try
        {
            return ManifestReader.Read(file.Path, file.Text, file.ReadOptions(settings.DefaultNamespace) with { OriginOf = originOf });
        }
        catch (ManifestException)
        {
            return null;
        }
    }

    /// <summary>Flux's post-build substitution, object by object; an object annotated <c>substitute: disabled</c> is left alone.</summary>
    private string Substituted(string text, ManifestSource source, string file, string commitSha)
    {
        if (source.Substitute.IsEmpty && !plan.Kustomize.StrictSubstitution)
        {
            return text;
        }

        var documents = DocumentSplit.Split(text);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < documents.Count; i++)
        {
            if (!DocumentSplit.SubstitutionDisabled(documents[i]))
            {
                documents[i] = Substitution.Apply(documents[i], source.Substitute, missing);
            }
        }

        if (missing.Count > 0 && plan.Kustomize.StrictSubstitution)
        {
            throw new BaselineLoadException(
                $"{file}: variable {string.Join(", ", missing.Select(m => "${" + m + "}"))} is not set and has no default (AdmissionGuard:Git:Kustomize:StrictSubstitution; rendering {source})",
                commitSha,
                file);
        }

        return DocumentSplit.Join(documents);
    }

    private static string Join(string folder, string name) => folder.Length == 0 ? name : $"{folder}/{name}";

    private static void Collect(Tree tree, string prefix, Dictionary<string, Blob> blobs)
    {
        foreach (var entry in tree)
        {
            switch (entry.Target)
            {
                case Tree subtree:
                    Collect(subtree, prefix + entry.Name + "/", blobs);
                    break;
                case Blob blob when entry.Mode != Mode.SymbolicLink:
                    blobs[prefix + entry.Name] = blob;
                    break;
            }
        }
    }
}
