using LibGit2Sharp;

namespace AdmissionGuard.Git.Sources;

/// <summary>
/// The files of one commit written to a folder of their own, for kustomize to build: never the user's working
/// copy. Symbolic links and submodules are left out, so no path in the checkout leads outside it.
/// </summary>
internal sealed class RepositoryCheckout : IDisposable
{
    private RepositoryCheckout(string root) => Root = root;

    /// <summary>The folder holding the commit's tree.</summary>
    public string Root { get; }

    public static RepositoryCheckout Extract(Tree tree, string parent, string commit)
    {
        Directory.CreateDirectory(parent);
        var root = Path.Combine(parent, $"checkout-{commit[..Math.Min(12, commit.Length)]}-{Guid.NewGuid():N}");
        Write(tree, root);
        return new RepositoryCheckout(root);
    }

    /// <summary>A copy of the checkout, for a build that edits its kustomization files in place.</summary>
    public RepositoryCheckout Copy()
    {
        var copy = Root + "-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var directory in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(copy, Path.GetRelativePath(Root, directory)));
        }

        Directory.CreateDirectory(copy);
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(copy, Path.GetRelativePath(Root, file)));
        }

        return new RepositoryCheckout(copy);
    }

    /// <summary>A repository path (<c>apps/base</c>) as a path in the checkout.</summary>
    public string Full(string repositoryPath) => repositoryPath.Length == 0 ? Root : Path.Combine(Root, repositoryPath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>A path in the checkout as a repository path, or null when it is outside the checkout.</summary>
    public string? Relative(string fullPath)
    {
        var relative = Path.GetRelativePath(Root, Path.GetFullPath(fullPath));
        return relative == "." ? "" : relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? null : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover checkout in the cache folder is removed with the next one of its commit, or by hand.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void Write(Tree tree, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var entry in tree)
        {
            var path = Path.Combine(folder, entry.Name);
            switch (entry.TargetType)
            {
                case TreeEntryTargetType.Tree:
                    Write((Tree)entry.Target, path);
                    break;
                case TreeEntryTargetType.Blob when entry.Mode != Mode.SymbolicLink:
                    using (var content = ((Blob)entry.Target).GetContentStream())
                    using (var file = File.Create(path))
                    {
                        content.CopyTo(file);
                    }

                    break;
            }
        }
    }
}
