namespace NovaMm.Hardware.Tests;
