using AdmissionGuard.Core.Policy;
using static AdmissionGuard.Core.Tests.Requests;

namespace AdmissionGuard.Core.Tests;

/// <summary>The baseline names where a policy lives in Git: path@shortsha.</summary>
public class BaselineTests
{
    [Fact]
    public void Location_is_the_source_path_at_the_short_commit()
    {
        var entry = Git.Find(new PolicyKey("shop", "web"));

        Assert.NotNull(entry);
        Assert.Equal("0123456", Git.ShortCommit);
        Assert.Equal("policies/shop/web.yaml@0123456", Git.Location(entry));
        Assert.Equal(Commit, Git.Commit);
    }

    [Fact]
    public void Policies_are_found_by_namespace_and_name_only()
    {
        Assert.Equal(1, Git.Count);
        Assert.Null(Git.Find(new PolicyKey("shop", "undeclared")));
        Assert.Null(Git.Find(new PolicyKey("billing", "web")));
    }

    [Fact]
    public void Short_commit_of_a_short_id_is_the_id()
    {
        Assert.Equal("abc", new Baseline("abc", "main", Now, []).ShortCommit);
    }
}
