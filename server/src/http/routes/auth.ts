// /v1/auth/*: pre-login, register, login, refresh, logout and passphrase change (API.md Accounts).
import { Router } from 'express';
import {
  LoginRequest,
  PassphraseChangeRequest,
  PreloginRequest,
  RefreshRequest,
  RegisterRequest,
} from '@byok/shared/wire/accounts';
import { parseInput, EmptyBody } from '../validate';
import { principalOf } from '../../services/principal';
import type { RouteContext } from './context';

export function authRoutes(context: RouteContext): Router {
  const router = Router();
  const { accounts } = context.services;
  router.use('/v1/auth', context.limiters.authIp, context.limiters.authAccount);

  router.post('/v1/auth/prelogin', async (request, response) => {
    const body = parseInput(PreloginRequest, request.body);
    response.json(await accounts.prelogin(body.email));
  });
  router.post('/v1/auth/register', async (request, response) => {
    const body = parseInput(RegisterRequest, request.body);
    response.status(201).json(await accounts.register(body));
  });
  router.post('/v1/auth/login', async (request, response) => {
    const body = parseInput(LoginRequest, request.body);
    response.json(await accounts.login(body));
  });
  router.post('/v1/auth/refresh', async (request, response) => {
    const body = parseInput(RefreshRequest, request.body);
    response.json(await accounts.refresh(body.refreshToken));
  });
  router.post('/v1/auth/logout', context.requireAuth, (request, response) => {
    parseInput(EmptyBody, request.body);
    accounts.logout(principalOf(request));
    response.status(204).end();
  });
  router.put('/v1/auth/passphrase', context.requireAuth, async (request, response) => {
    const body = parseInput(PassphraseChangeRequest, request.body);
    await accounts.changePassphrase(principalOf(request), body);
    response.status(204).end();
  });
  return router;
}
