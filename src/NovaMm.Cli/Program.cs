using System.CommandLine;
using NovaMm.Cli.Commands;
using NovaMm.Driver;

namespace NovaMm.Cli;

/// <summary>The <c>novamm</c> entry point.</summary>
internal static class Program
{
    /// <summary>Exit code for bad input and failed operations.</summary>
    public const int UsageError = 2;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Parses and runs a command line; user errors become one line on <paramref name="error"/> and exit code 2.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(output),
        });
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
        {
            console.Profile.Width = 200;
        }

        Spectre.Console.AnsiConsole.Console = console;

        var root = BuildRoot();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            error.WriteLine($"novamm: {parse.Errors[0].Message}");
            return UsageError;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error });
        }
        catch (Shell.ScriptFailure e)
        {
            error.WriteLine(e.Message);
            return UsageError;
        }
        catch (Exception e) when (e is CliError or ArgumentException or FormatException or NovaMmException or IOException or InvalidDataException)
        {
            error.WriteLine($"novamm: {Devices.FirstLine(e.Message)}");
            return UsageError;
        }
    }

    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand("novamm: NVIDIA GPU memory management (nova-core's mm) on a bit-faithful simulated GPU")
        {
            ChipsCommand.Create(),
            BootCommand.Create(),
            SelfTestCommand.Create(),
            Shell.ShellCommand.Create(),
            BuddyCommand.Create(),
            PteCommand.Create(),
            RenderCommand.Create(),
            WalkCommand.Create(),
            DumpCommand.Create(),
            Bench.BenchCommand.Create(),
        };
        return root;
    }
}
