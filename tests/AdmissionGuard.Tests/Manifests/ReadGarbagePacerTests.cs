using AdmissionGuard.Git;

namespace AdmissionGuard.Tests.Manifests;

/// <summary>A read collects its young garbage once per so much text parsed, however its parsing threads share the texts.</summary>
public class ReadGarbagePacerTests
{
    [Theory]
    [InlineData(1_000, 999, 0)]
    [InlineData(1_000, 1_000, 1)]
    [InlineData(1_000, 2_999, 2)]
    [InlineData(1_000, 100_000, 100)]
    public void Collects_once_for_each_pace_of_text_parsed(long pace, int total, int collections)
    {
        var collected = 0;
        var pacer = new ReadGarbagePacer(pace, () => Interlocked.Increment(ref collected));

        // Two threads, texts of uneven sizes: every crossing of a multiple of the pace is seen by exactly one of them.
        var sizes = Enumerable.Range(0, total).Select(i => i % 3 == 0 ? 2 : 1).ToList();
        var parts = new List<int>();
        for (var (sum, i) = (0, 0); sum < total; i++)
        {
            var size = Math.Min(sizes[i], total - sum);
            parts.Add(size);
            sum += size;
        }

        Parallel.ForEach(parts, new ParallelOptions { MaxDegreeOfParallelism = 2 }, size => pacer.Parsed(size));

        Assert.Equal(collections, collected);
    }

    [Fact]
    public void A_text_longer_than_the_pace_collects_once()
    {
        var collected = 0;
        var pacer = new ReadGarbagePacer(1_000, () => collected++);

        pacer.Parsed(5_500);
        var afterLongText = collected;
        pacer.Parsed(400);
        var beforeNextPace = collected;
        pacer.Parsed(200);

        Assert.Equal((1, 1, 2), (afterLongText, beforeNextPace, collected));
    }
}
