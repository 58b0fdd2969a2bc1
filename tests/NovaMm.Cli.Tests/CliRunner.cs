namespace NovaMm.Cli.Tests;

/// <summary>Runs the tool in-process, capturing its output. The console is global, so CLI tests share one collection.</summary>
internal static class CliRunner
{
    private static readonly Lock Gate = new();

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        lock (Gate)
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var code = Program.Run(args, output, error);
            return (code, output.ToString(), error.ToString());
        }
    }
}

[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;
