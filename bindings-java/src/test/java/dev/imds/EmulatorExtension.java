package dev.imds;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test class its own {@link Emulator}, started before its first test and stopped after
 * its last (JUnit closes the {@link AutoCloseable} values of a store it discards), and resets the
 * emulator before every test. Tests receive it as a parameter.
 */
final class EmulatorExtension implements BeforeEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(EmulatorExtension.class);

  private static Emulator emulator(ExtensionContext context) {
    ExtensionContext classContext =
        context.getTestClass().isPresent() && context.getTestMethod().isPresent()
            ? context.getParent().orElseThrow()
            : context;
    return classContext
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            "emulator",
            key -> {
              try {
                return Emulator.start();
              } catch (Exception e) {
                throw new IllegalStateException("could not start the emulator", e);
              }
            },
            Emulator.class);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    emulator(context).reset();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Emulator.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return emulator(context);
  }
}
