namespace AdmissionGuard.Tests.Support;

/// <summary>Finds the repository (the folder holding AdmissionGuard.sln) and the shared folder beside it.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    public static string Shared => System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, "..", "shared"));

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "AdmissionGuard.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("AdmissionGuard.sln not found above " + AppContext.BaseDirectory);
    }
}
